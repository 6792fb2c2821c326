"""Phonemes from speech with pocketsphinx's bundled en-us model: forced alignment and recognition.

Alignment (with a transcript) runs in two passes. A word pass over the whole clip finds where
each word lies; the clip is then cut at the pauses between words into chunks of at most
`MAX_CHUNK` seconds and each chunk gets a phone-level pass. Short chunks keep the phone pass
accurate and its memory bounded on long clips. Results are copied out of pocketsphinx's
iterators at once: they point into decoder state that the next utterance overwrites.

Recognition (no transcript) uses the allphone search with the bundled phonetic language model.
It is rough (roughly one phoneme in two is right) but its timing and its consonant/vowel
classes are good enough for mouth shapes; `reliability` says how far to trust it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from studio.analysis.lipsync.phonemes import Phone
from studio.analysis.lipsync.spelling import spell, words_of

RATE = 16000
FRAME = 0.01  # pocketsphinx frames are 10 ms
MAX_CHUNK = 5.0  # seconds of audio per phone-level alignment pass
_SILENCES = {"<sil>", "<s>", "</s>", "[NOISE]", "(NULL)"}


@dataclass(frozen=True)
class WordSpan:
    word: str
    start: float
    end: float


def _model_paths() -> tuple[str, str, str, str]:
    from pocketsphinx import get_model_path

    root = os.path.join(get_model_path(), "en-us")
    return (os.path.join(root, "en-us"), os.path.join(root, "cmudict-en-us.dict"),
            os.path.join(root, "en-us.lm.bin"), os.path.join(root, "en-us-phone.lm.bin"))


def _pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def _decoder(**options):
    from pocketsphinx import Decoder

    hmm, dictionary, _, _ = _model_paths()
    return Decoder(hmm=hmm, dict=dictionary, samprate=RATE, loglevel="FATAL", **options)


def _dictionary_words(decoder, transcript: str) -> list[str]:
    """The transcript's words, each in the decoder's dictionary (added by rule if missing)."""
    words = words_of(transcript)
    for word in set(words):
        if decoder.lookup_word(word) is None:
            decoder.add_word(word, spell(word), True)
    return words


_BEAMS = (1e-60, 1e-100)  # the word pass retries with the wider beam on long clips


def _word_pass(samples: np.ndarray, transcript: str) -> tuple[object, list[WordSpan]]:
    """Where each word lies in the whole clip; no spans if the text does not fit the audio."""
    pcm = _pcm(samples)
    # The narrow beam fails on long clips: skip that wasted pass beyond a minute of audio.
    beams = _BEAMS if len(samples) <= 60 * RATE else _BEAMS[1:]
    for beam in beams:
        # fwdflat/bestpath re-search the lattice and can drop a final word: alignment needs neither.
        decoder = _decoder(lm=None, fwdflat=False, bestpath=False, beam=beam, pbeam=beam,
                           wbeam=beam * 1e10)
        words = _dictionary_words(decoder, transcript)
        if not words:
            return decoder, []
        decoder.set_align_text(" ".join(words))
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        if hyp is not None and hyp.hypstr.split() == words:
            return decoder, [WordSpan(s.word, s.start_frame * FRAME, (s.end_frame + 1) * FRAME)
                             for s in decoder.seg() if s.word not in _SILENCES]
    return decoder, []


def _chunks(spans: list[WordSpan], duration: float) -> list[tuple[float, float, list[WordSpan]]]:
    """Cut the clip between words into pieces of at most MAX_CHUNK s, at the widest pauses."""
    chunks: list[tuple[float, float, list[WordSpan]]] = []
    first = 0
    while first < len(spans):
        last = first
        while last + 1 < len(spans) and spans[last + 1].end - spans[first].start <= MAX_CHUNK:
            last += 1
        if last + 1 < len(spans) and last > first:
            gaps = [spans[i + 1].start - spans[i].end for i in range(first, last)]
            widest = first + int(np.argmax(gaps))
            if gaps[widest - first] > 0.1:
                last = widest
        # Start and end halfway into the neighbouring pauses, so no phone is cut.
        lo = (spans[first - 1].end + spans[first].start) / 2 if first else 0.0
        hi = (spans[last].end + spans[last + 1].start) / 2 if last + 1 < len(spans) else duration
        chunks.append((lo, hi, spans[first:last + 1]))
        first = last + 1
    return chunks


def _phone_pass(decoder, samples: np.ndarray, words: list[str], offset: float) -> list[Phone]:
    pcm = _pcm(samples)
    decoder.set_align_text(" ".join(words))
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    decoder.set_alignment()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    phones = []
    for word in decoder.get_alignment():
        name = None if word.name in _SILENCES else word.name
        for phone in word:
            start = offset + phone.start * FRAME
            phones.append(Phone(start, start + phone.duration * FRAME, phone.name, name))
    return phones


def _spread(decoder, spans: list[WordSpan]) -> list[Phone]:
    """Each word's dictionary phonemes spread evenly over its span: when a phone pass fails."""
    phones = []
    for span in spans:
        names = decoder.lookup_word(span.word).split()
        edges = np.linspace(span.start, span.end, len(names) + 1)
        phones += [Phone(float(a), float(b), n, span.word) for a, b, n in zip(edges, edges[1:], names)]
    return phones


def align(samples: np.ndarray, transcript: str) -> list[Phone]:
    """Phonemes of `transcript` placed on 16 kHz `samples`; [] if the text does not fit the audio."""
    duration = len(samples) / RATE
    decoder, spans = _word_pass(samples, transcript)
    if not spans:
        return []
    phones: list[Phone] = []
    for lo, hi, chunk in _chunks(spans, duration):
        piece = samples[int(lo * RATE):int(hi * RATE)]
        try:
            found = _phone_pass(decoder, piece, [s.word for s in chunk], lo)
        except RuntimeError:  # the phone pass found no path: keep the word pass's timing
            found = []
        phones.extend(found if any(p.word for p in found) else _spread(decoder, chunk))
    return _fill_silence(phones, duration)


def _fill_silence(phones: list[Phone], duration: float) -> list[Phone]:
    """Close gaps between chunks with SIL, so the phone list tiles the clip."""
    tiled: list[Phone] = []
    t = 0.0
    for p in sorted(phones, key=lambda p: p.start):
        if p.start > t + 1e-6:
            tiled.append(Phone(t, p.start, "SIL"))
        start = max(p.start, t)
        if p.end > start:
            tiled.append(Phone(start, p.end, p.phone, p.word))
            t = p.end
    if duration > t + 1e-6:
        tiled.append(Phone(t, duration, "SIL"))
    return tiled


def recognize(samples: np.ndarray, regions: list[tuple[float, float]]) -> list[Phone]:
    """Phonemes recognised without a transcript in each speech region (start, end seconds)."""
    _, _, _, phone_lm = _model_paths()
    decoder = _decoder(allphone=phone_lm, lw=2.0, beam=1e-10, pbeam=1e-10)
    phones: list[Phone] = []
    for lo, hi in regions:
        decoder.start_utt()
        decoder.process_raw(_pcm(samples[int(lo * RATE):int(hi * RATE)]), full_utt=True)
        decoder.end_utt()
        for seg in decoder.seg():
            start = lo + seg.start_frame * FRAME
            phones.append(Phone(start, lo + (seg.end_frame + 1) * FRAME, seg.word))
    return _fill_silence(phones, len(samples) / RATE)
