"""Runs of mouth shapes -> viseme segments, without flapping on fast speech.

A viseme shorter than `MIN_DURATION` (one frame at 25 fps) would flash by or make the mouth
chatter. It borrows time from its longer neighbour when that one can spare it, which moves a
boundary by at most MIN_DURATION - 10 ms, under a frame, so transcript-aligned timing stays
within a frame of the phonemes; otherwise it merges into that neighbour. Bilabial closures are
never merged away: a missing closure on m/b/p is the most visible lip-sync error.
"""

from __future__ import annotations

from studio.doc.project import VisemeSegment

MIN_DURATION = 0.04  # seconds


def merge_runs(runs: list[tuple[float, float, str]]) -> list[VisemeSegment]:
    """Segments from (start, end, viseme) runs that tile the clip in time order."""
    segs: list[list] = []
    for start, end, viseme in runs:
        if end <= start:
            continue
        if segs and segs[-1][2] == viseme:
            segs[-1][1] = end
        else:
            segs.append([start, end, viseme])
    i = 0
    while i < len(segs):
        start, end, viseme = segs[i]
        if end - start >= MIN_DURATION - 1e-9 or len(segs) == 1:
            i += 1
            continue
        left = segs[i - 1] if i > 0 else None
        right = segs[i + 1] if i + 1 < len(segs) else None
        need = MIN_DURATION - (end - start)
        # Borrow from speech before silence: taking time from a pause would open the mouth early.
        into = max((s for s in (left, right) if s is not None),
                   key=lambda s: (s[2] != "rest" and s[1] - s[0] - need >= MIN_DURATION, s[1] - s[0]))
        if into[1] - into[0] - need >= MIN_DURATION:
            if into is left:
                left[1] -= need
                segs[i][0] -= need
            else:
                right[0] += need
                segs[i][1] += need
            i += 1
            continue
        if viseme == "MBP":
            i += 1
            continue
        if into is left:
            left[1] = end
        else:
            right[0] = start
        del segs[i]
        i = max(0, i - 1)
        _join_equal(segs, i)
    return [VisemeSegment(round(a, 4), round(b, 4), v, "auto") for a, b, v in segs]


def _join_equal(segs: list[list], i: int) -> None:
    if i + 1 < len(segs) and segs[i][2] == segs[i + 1][2]:
        segs[i][1] = segs[i + 1][1]
        del segs[i + 1]
