"""Lip sync: phonemes (pocketsphinx) or the signal itself -> a documented set of visemes."""

from studio.analysis.lipsync.analyze import MODES, SpeechAnalysis, analyze
from studio.analysis.lipsync.phonemes import PHONEME_VISEMES, VISEMES, Phone

__all__ = ["MODES", "PHONEME_VISEMES", "VISEMES", "Phone", "SpeechAnalysis", "analyze"]
