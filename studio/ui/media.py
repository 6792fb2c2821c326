"""What the window derives from the project's media, and where the engine is called from.

Analysis runs on background tasks; its results are kept per input (path + settings) for the
session, so undoing a media change or reopening the same project is instant. Nothing here
touches a widget, so tests and benches can call it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.analysis.audio import (ANALYSIS_SAMPLE_RATE, AudioClip, load_audio_rates,
                                   performance_from_audio)
from studio.analysis.face_rig import FaceRig
from studio.analysis.performance import Performance
from studio.doc.errors import InputError
from studio.doc.file_kinds import AUDIO_FORMATS, AUDIO_SUFFIXES, IMAGE_SUFFIXES, PROJECT_SUFFIXES
from studio.doc.project import Project, VisemeSegment
from studio.engine.inputs import analyze_audio
from studio.jobs import CancelToken

PLAYBACK_RATE = 44100
WAVEFORM_BINS_PER_SECOND = 100


def file_filter(label: str, suffixes: tuple[str, ...]) -> str:
    """A file-dialog filter for exactly the suffixes a drop accepts, e.g. "Audio (*.flac *.m4a)"."""
    return f"{label} ({' '.join('*' + s for s in sorted(suffixes))})"


def dropped_files(mime) -> list[Path]:
    """The local files of a drop's QMimeData, for the window and the welcome page's drop area
    alike (a dragged web link is not a file to open)."""
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


@dataclass(frozen=True)
class Dropped:
    portrait: Path | None = None
    audio: Path | None = None
    project: Path | None = None


def classify(paths: list[Path]) -> Dropped:
    """Sort dropped or opened files by kind; anything else is refused with one line."""
    portrait = audio = project = None
    for path in paths:
        suffix = path.suffix.lower()
        if suffix in IMAGE_SUFFIXES:
            portrait = path
        elif suffix in AUDIO_SUFFIXES:
            audio = path
        elif suffix in PROJECT_SUFFIXES:
            project = path
        else:
            raise InputError(
                f"cannot use {path.name}: drop a portrait image (.jpg, .png, ...), a voice clip "
                f"({AUDIO_FORMATS}) or a project file (.json)"
            )
    return Dropped(portrait, audio, project)


@dataclass
class AudioAnalysis:
    """What the window knows of a voice clip. A quick pass (loudness only, well under a second)
    comes first so the portrait talks at once; lip sync and prosody replace it when done."""

    clip: AudioClip
    performance: Performance
    waveform: np.ndarray  # (bins, 2): time in seconds, peak in 0..1
    playback: np.ndarray  # mono float32 at PLAYBACK_RATE, for the sound card
    visemes: list[VisemeSegment] | None = None  # None until the lip-sync pass has run

    @property
    def complete(self) -> bool:
        return self.visemes is not None


def analyze_portrait_file(path: Path, token: CancelToken) -> FaceRig:
    from studio.analysis.portrait import analyze_portrait

    token.raise_if_cancelled()
    return analyze_portrait(path)


def warm_up_analysis() -> None:
    """Import MediaPipe (a second or more) and build the face graphs the portrait analysis
    keeps for the process, by looking for faces in a tiny blank image; also load what the mesh
    renderer imports on first use (SciPy's sparse and spatial modules, half a second). Meant
    for a background thread at start-up, so the first drop pays for none of it."""
    import scipy.sparse  # noqa: F401
    import scipy.spatial  # noqa: F401

    from studio.analysis.portrait import find_faces
    from studio.render.mesh import MeshRenderer  # noqa: F401

    find_faces(np.zeros((64, 64, 3), dtype=np.uint8))


def quick_audio(path: Path, fps: int, token: CancelToken) -> AudioAnalysis:
    """The clip decoded once, at the analysis rate (kept for full_audio) and at the sound
    card's, and its loudness."""
    token.raise_if_cancelled()
    clip, playback = load_audio_rates(path, (ANALYSIS_SAMPLE_RATE, PLAYBACK_RATE))
    token.raise_if_cancelled()
    return AudioAnalysis(clip, performance_from_audio(clip, fps), waveform_of(clip),
                         playback.samples)


def full_audio(quick: AudioAnalysis, project: Project, token: CancelToken) -> AudioAnalysis:
    """Lip sync, head motion and expressiveness from the voice (seconds for a short clip), on
    the quick pass's decoded clip: the analysis decodes the file once."""
    token.raise_if_cancelled()
    performance, visemes = analyze_audio(project, quick.clip)
    return AudioAnalysis(quick.clip, performance, quick.waveform, quick.playback, visemes)


def audio_key(project: Project) -> tuple:
    """Everything the audio analysis depends on."""
    return (project.audio, project.fps, project.transcript, project.lipsync, project.seed)


def waveform_of(clip: AudioClip) -> np.ndarray:
    """Peak level per 10 ms bin, square-root scaled so quiet speech is still visible."""
    step = max(1, clip.sample_rate // WAVEFORM_BINS_PER_SECOND)
    bins = len(clip.samples) // step
    if bins == 0:
        return np.zeros((0, 2))
    peaks = np.abs(clip.samples[: bins * step].reshape(bins, step)).max(axis=1)
    scale = float(peaks.max()) or 1.0
    times = (np.arange(bins) + 0.5) * step / clip.sample_rate
    return np.column_stack([times, np.sqrt(peaks / scale)])
