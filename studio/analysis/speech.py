"""One call from a voice clip to everything the automatic tracks need.

`analyze_performance` is the entry point for the command line and the application: it decodes
the audio once, runs lip sync and prosody on the same 16 kHz copy and frame features, and
returns the Performance (loudness, head motion, expressiveness, pause weights) with the viseme
track. The speaking style is not an input: it is applied at conditioning time, so a style
edit re-derives ControlFrames from this result without analysing the audio again.
"""

from __future__ import annotations

from pathlib import Path

from studio.analysis import prosody
from studio.analysis.audio import AudioClip, load_audio, performance_from_audio
from studio.analysis.lipsync import analyze
from studio.analysis.lipsync.features import speech_mask
from studio.analysis.performance import Performance
from studio.doc.errors import InputError
from studio.doc.files import read_regular_file
from studio.doc.project import VisemeSegment


def transcript_text(audio_path: str | Path, transcript: str | None) -> str | None:
    """The transcript: the given text, a .txt file it names, or a .txt beside the audio."""
    if transcript is not None:
        candidate = Path(transcript)
        if candidate.suffix.lower() == ".txt" and "\n" not in transcript:
            if not candidate.exists():
                raise InputError(f"cannot read transcript {candidate.name}: no such file "
                                 f"({candidate}); give the text itself or an existing .txt file")
            return _read_text(candidate)
        return transcript
    beside = Path(audio_path).with_suffix(".txt")
    return _read_text(beside) if beside.is_file() else None


MAX_TRANSCRIPT_BYTES = 1 << 20  # an hour of speech is about 60 KB of text


def _read_text(path: Path) -> str:
    """A transcript file: a regular file of sane size (a FIFO or /dev/zero is refused)."""
    raw = read_regular_file(path, "transcript", "give the text itself or a .txt file",
                            MAX_TRANSCRIPT_BYTES)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"cannot read transcript {path.name}: it is not UTF-8 text; "
                         "save it as UTF-8") from error


def analyze_performance(audio: str | Path | AudioClip, fps: float, *,
                        transcript: str | None = None, mode: str = "auto", seed: int = 0
                        ) -> tuple[Performance, list[VisemeSegment]]:
    """The Performance of a voice clip at `fps` and its automatic viseme track.

    `audio` is a path, or the clip already decoded at the analysis rate (load_audio), which is
    then used as it is: a caller that decoded it (the studio's quick pass, the engine) hands
    it on instead of decoding it again.
    """
    # 1. decode once, at the analysis rate
    clip = audio if isinstance(audio, AudioClip) else load_audio(audio)
    text = transcript_text(clip.path, transcript)
    # 2. lip sync (its frame features are reused by prosody)
    speech = analyze(clip, transcript=text, mode=mode)
    # 3. loudness, then prosody on the same features
    performance = performance_from_audio(clip, fps)
    derived = prosody.derive(speech.features, speech_mask(speech.features), fps,
                             performance.frame_count, seed)
    performance.head = derived.head
    performance.expressive = derived.expressive
    performance.pause = derived.pause
    return performance, speech.visemes
