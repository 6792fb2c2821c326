"""Viseme segments -> ARKit mouth coefficient curves, with coarticulation.

Real mouths do not jump between shapes at phoneme boundaries: they move toward the next shape
before its sound starts (anticipation) and blend neighbouring shapes (smoothing). But smoothing
must not eat the bilabial closures of m, b and p, which viewers check first; so closures are
stamped back in after smoothing and held for at least one output frame, however short the
phoneme. The shapes are at lip_amplitude 1; `viseme_mouth` scales everything but the closures.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.ndimage import gaussian_filter1d

from studio.doc.project import VisemeSegment

# Mouth shape of each viseme (docs/lipsync.md). Unlisted coefficients are 0; "rest" is all 0.
VISEME_SHAPES: dict[str, dict[str, float]] = {
    "rest": {},
    "MBP": {"mouthClose": 0.25, "mouthPressLeft": 0.6, "mouthPressRight": 0.6,
            "mouthRollLower": 0.15, "mouthRollUpper": 0.1},
    "FV": {"jawOpen": 0.08, "mouthRollLower": 0.65, "mouthUpperUpLeft": 0.25,
           "mouthUpperUpRight": 0.25},
    "TH": {"jawOpen": 0.18, "mouthLowerDownLeft": 0.15, "mouthLowerDownRight": 0.15},
    "L": {"jawOpen": 0.3, "mouthLowerDownLeft": 0.1, "mouthLowerDownRight": 0.1},
    "etc": {"jawOpen": 0.14, "mouthStretchLeft": 0.2, "mouthStretchRight": 0.2,
            "mouthLowerDownLeft": 0.15, "mouthLowerDownRight": 0.15},
    "CH": {"jawOpen": 0.12, "mouthFunnel": 0.5, "mouthPucker": 0.25, "mouthUpperUpLeft": 0.2,
           "mouthUpperUpRight": 0.2},
    "WQ": {"jawOpen": 0.1, "mouthPucker": 0.8, "mouthFunnel": 0.35},
    "O": {"jawOpen": 0.4, "mouthFunnel": 0.6, "mouthPucker": 0.3},
    "AI": {"jawOpen": 0.6, "mouthLowerDownLeft": 0.2, "mouthLowerDownRight": 0.2,
           "mouthStretchLeft": 0.1, "mouthStretchRight": 0.1},
    "E": {"jawOpen": 0.3, "mouthStretchLeft": 0.4, "mouthStretchRight": 0.4,
          "mouthSmileLeft": 0.15, "mouthSmileRight": 0.15, "mouthUpperUpLeft": 0.1,
          "mouthUpperUpRight": 0.1},
}
NAMES: tuple[str, ...] = tuple(sorted({n for shape in VISEME_SHAPES.values() for n in shape}))
CLOSURE = "MBP"
ANTICIPATION = 0.04  # seconds the mouth moves ahead of the sound
SMOOTHING = 0.025  # seconds, standard deviation of the blend between neighbouring shapes
_GRID = 200.0  # Hz, internal sampling of the step targets


def resolve(segments: Sequence[VisemeSegment]) -> list[VisemeSegment]:
    """One segment per moment, time ordered: "user" segments cut out what they overlap."""
    user = sorted((s for s in segments if s.source == "user"), key=lambda s: s.start)
    kept = list(user)
    for seg in sorted((s for s in segments if s.source != "user"), key=lambda s: s.start):
        pieces = [(seg.start, seg.end)]
        for u in user:
            pieces = [p for a, b in pieces for p in ((a, min(b, u.start)), (max(a, u.end), b))
                      if p[1] > p[0]]
        kept += [VisemeSegment(a, b, seg.viseme, seg.source) for a, b in pieces]
    return sorted(kept, key=lambda s: s.start)


def viseme_mouth(segments: Sequence[VisemeSegment], times: np.ndarray, lip_amplitude: float = 1.0
                 ) -> dict[str, np.ndarray]:
    """ARKit name -> (len(times),) mouth coefficients; closed (rest) outside every segment."""
    times = np.asarray(times, dtype=np.float64)
    segments = resolve(segments)
    if times.size == 0 or not segments:
        return {name: np.zeros(times.shape, np.float32) for name in NAMES}
    unknown = {s.viseme for s in segments} - set(VISEME_SHAPES)
    if unknown:
        raise ValueError(f"unknown viseme(s): {', '.join(sorted(unknown))}")
    # 1. step targets on a fine grid, each shape starting ANTICIPATION early
    lo = min(times[0], segments[0].start) - 0.5
    hi = max(times[-1], segments[-1].end) + 0.5
    grid = np.arange(lo, hi, 1.0 / _GRID)
    targets = np.zeros((len(grid), len(NAMES)), np.float32)
    shapes = {v: np.array([shape.get(n, 0.0) for n in NAMES], np.float32)
              for v, shape in VISEME_SHAPES.items()}
    for seg in segments:
        a, b = np.searchsorted(grid, [seg.start - ANTICIPATION, seg.end - ANTICIPATION])
        targets[a:b] = shapes[seg.viseme]
    # 2. blend neighbours, then sample at the output times
    blended = gaussian_filter1d(targets, SMOOTHING * _GRID, axis=0, mode="nearest")
    curves = np.stack([np.interp(times, grid, blended[:, k]) for k in range(len(NAMES))], axis=1)
    curves *= float(lip_amplitude)
    # 3. stamp closures back in: lips shut, jaw closed, for at least one frame each
    closed = shapes[CLOSURE] * max(float(lip_amplitude), 1.0)
    for seg in segments:
        if seg.viseme != CLOSURE:
            continue
        a, b = seg.start - ANTICIPATION, seg.end - ANTICIPATION
        frames = np.flatnonzero((times >= a) & (times < b))
        if frames.size == 0:
            frames = np.array([int(np.argmin(np.abs(times - (a + b) / 2)))])
        curves[frames] = closed
    return {name: curves[:, k].astype(np.float32) for k, name in enumerate(NAMES)}
