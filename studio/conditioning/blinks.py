"""Blinks: the artist's explicit ones, and automatic ones drawn from the blink-rate curve.

A real blink closes fast, stays shut a moment and opens more slowly; a symmetric bump reads as a
twitch. Blinks that fall between two output frames vanish from the video, a common complaint
about talking-head tools, so the closed hold always spans at least one frame interval: the frame
nearest a blink's centre is always fully closed.

Automatic blinks are a renewal process in "expected blinks" time: intervals are gamma-distributed
(more regular than Poisson, as human blinking is), measured in units of the integrated rate, so
the rate curve is honoured wherever the artist keys it. With a Performance, pauses weigh the rate
up and speech weighs it down, keeping the clip's average rate. Everything is drawn from the
project seed, so the same project always blinks the same way.

Automatic blinks live in the project's blinks track (source "auto") so the artist can see and
delete each one. While the track holds any, they are the clip's automatic blinks, used as they
are; a track with none (a project never initialised, or an old file) has them drawn afresh at
conditioning time. `refresh_auto_blinks` redraws them when what they follow from changes. The
artist's blinks always win: an automatic blink too close to one is skipped.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from studio.analysis.performance import Performance
from studio.conditioning.timing import at_times
from studio.doc.curves import ease_in_out, sample_curve
from studio.doc.project import Blink, Project

# Fractions of a blink's duration spent closing, shut and opening.
CLOSE, HOLD, OPEN = 0.3, 0.2, 0.5
MIN_DURATION, MAX_DURATION, TYPICAL_DURATION = 0.1, 0.4, 0.2  # seconds
MIN_GAP = 0.3  # seconds of open eyes kept between an automatic blink and any other blink
REGULARITY = 4.0  # gamma shape of the intervals: 1 would be Poisson, higher is more regular
PAUSE_GAIN = 2.0  # a full pause blinks (1 + PAUSE_GAIN) times as often as steady speech
_GRID = 0.01  # seconds: resolution at which the rate is integrated
_INTERVAL_STREAM, _DURATION_STREAM = 0xB1, 0xB2


def blink_span(blink: Blink) -> tuple[float, float]:
    """When the lids start to move and when they are open again."""
    before = (CLOSE + HOLD / 2) * blink.duration
    after = (OPEN + HOLD / 2) * blink.duration
    return blink.t - before, blink.t + after


def blink_profile(blinks: Sequence[Blink], times: np.ndarray, fps: float | None = None
                  ) -> np.ndarray:
    """Lid closure (0 open .. 1 shut) at ascending `times`; 1 at every blink centre.

    With `fps`, the shut hold lasts at least one frame so sampled frames never miss a blink.
    """
    times = np.asarray(times, dtype=np.float64)
    out = np.zeros(times.shape[0])
    min_half_hold = 0.5 / fps if fps else 0.0
    for blink in blinks:
        d = blink.duration
        half_hold = max(HOLD * d / 2, min_half_hold)
        start, end = blink.t - half_hold - CLOSE * d, blink.t + half_hold + OPEN * d
        lo, hi = np.searchsorted(times, [start, end], side="left")
        if lo >= hi:
            continue
        t = times[lo:hi]
        closing = ease_in_out(np.clip((t - start) / (CLOSE * d), 0.0, 1.0))
        opening = 1.0 - ease_in_out(np.clip((t - (blink.t + half_hold)) / (OPEN * d), 0.0, 1.0))
        value = np.where(t < blink.t - half_hold, closing,
                         np.where(t > blink.t + half_hold, opening, 1.0))
        out[lo:hi] = np.maximum(out[lo:hi], value)
    return out


def _rate_weight(performance: Performance | None, times: np.ndarray) -> np.ndarray:
    """More blinks in pauses, fewer mid-phrase, with a mean of 1 so the rate stays honoured."""
    if performance is None or performance.pause is None or len(performance.pause) == 0:
        return np.ones(times.shape[0])
    weight = 1.0 + PAUSE_GAIN * np.clip(at_times(performance.pause, performance.fps, times), 0, 1)
    return weight / weight.mean()


def _clear_of(blink: Blink, others: Sequence[Blink]) -> bool:
    start, end = blink_span(blink)
    for other in others:
        other_start, other_end = blink_span(other)
        if start < other_end + MIN_GAP and end > other_start - MIN_GAP:
            return False
    return True


def user_blinks(blinks: Sequence[Blink]) -> list[Blink]:
    """The artist's blinks among `blinks`, in time order."""
    return sorted((b for b in blinks if b.source != "auto"), key=lambda b: b.t)


def draw_auto_blinks(project: Project, performance: Performance | None = None) -> list[Blink]:
    """Automatic blinks drawn from the rate, the seed and the pauses, in time order.

    Centred on frame times; none lands within MIN_GAP of a user blink or of another automatic
    one. The track's stored automatic blinks play no part: this is what they are redrawn from.
    """
    duration = project.duration
    if duration <= 0:
        return []
    # 1. expected blinks as a function of time (the integrated rate)
    grid = np.arange(0.0, duration + _GRID, _GRID)
    rate = np.clip(sample_curve(project.tracks.blink_rate, grid), 0.0, None) / 60.0
    rate *= _rate_weight(performance, grid)
    expected = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * _GRID)])
    total = expected[-1]
    if total <= 0:
        return []
    # 2. gamma intervals in expected-blink units, mapped back to seconds
    intervals = np.random.default_rng([project.seed, _INTERVAL_STREAM]).gamma(
        REGULARITY, 1.0 / REGULARITY, size=int(total * 2 + 10))
    marks = np.cumsum(intervals)
    marks = marks[marks < total]
    centres = np.interp(marks, expected, grid)
    centres = np.round(centres * project.fps) / project.fps
    durations = np.clip(
        np.random.default_rng([project.seed, _DURATION_STREAM]).lognormal(
            np.log(TYPICAL_DURATION), 0.3, size=len(intervals)),
        MIN_DURATION, MAX_DURATION)
    # 3. keep those clear of the artist's blinks and of the previous automatic one; times are
    # rounded as the project file stores them, so a saved and reloaded track is the same
    explicit = user_blinks(project.tracks.blinks)
    kept: list[Blink] = []
    for centre, d in zip(centres, durations):
        blink = Blink(round(float(centre), 6), float(round(d, 3)), source="auto")
        if _clear_of(blink, explicit) and _clear_of(blink, kept[-1:]):
            kept.append(blink)
    return kept


def auto_blinks(project: Project, performance: Performance | None = None) -> list[Blink]:
    """The automatic blinks the clip shows, in time order.

    The track's stored automatic blinks when it holds any (except those within MIN_GAP of a
    user blink: the artist's blink wins), otherwise freshly drawn ones.
    """
    stored = sorted((b for b in project.tracks.blinks if b.source == "auto"), key=lambda b: b.t)
    if not stored:
        return draw_auto_blinks(project, performance)
    explicit = user_blinks(project.tracks.blinks)
    return [b for b in stored if _clear_of(b, explicit)]


def refresh_auto_blinks(project: Project, performance: Performance | None = None
                        ) -> list[Blink]:
    """The blinks track with its automatic blinks redrawn: user blinks kept, in time order.

    For `studio init`, and for the studio when the blink rate, the seed or the voice clip
    changes. It replaces the artist's deletions of automatic blinks too, so call it only for
    such changes, not for every blink edit.
    """
    return sorted(user_blinks(project.tracks.blinks) + draw_auto_blinks(project, performance),
                  key=lambda b: b.t)


def eye_blink(project: Project, performance: Performance | None, times: np.ndarray
              ) -> np.ndarray:
    """eyeBlinkLeft/Right for every frame: the user's blinks and the automatic ones together."""
    blinks = user_blinks(project.tracks.blinks) + auto_blinks(project, performance)
    return blink_profile(blinks, times, project.fps)
