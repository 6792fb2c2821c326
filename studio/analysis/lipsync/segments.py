"""Runs of mouth shapes -> viseme segments, without flapping on fast speech.

A viseme held for less than `MIN_DURATION` (two frames at 25 fps) is seen as a flicker, not a
shape. Slivers under one frame go first, then the rest of the short ones: each borrows up to
MAX_BORROW from its longer neighbour when that one can spare it, which moves a boundary by
under a frame, so transcript-aligned timing stays within a frame of the phonemes; otherwise it
merges into that neighbour (taking the shape of the two that is more open: a short vowel beside
a consonant is what shows); a sound beside a pause or a closure merges into the sound on its
other side, else into the pause, never into the closure (a closure grown over sounds presses
the lips through them). A shape left and returned to within RETURN_DURATION is not shown
when it is no more open than the one around it (the mouth would barely reach it: an "etc"
inside a vowel, one vowel flickering inside another), and one held under KIN_DURATION beside
a shape the face barely tells from it joins that shape. Bilabial closures are never merged
away and take no time from their neighbours: a missing closure on m/b/p is the most visible
lip-sync error, and the renderer holds each for a frame however short.
"""

from __future__ import annotations

from studio.doc.project import VisemeSegment

MIN_DURATION = 0.10  # seconds
RETURN_DURATION = 0.16  # seconds: a shape left and returned to within this is not shown
KIN_DURATION = 0.14  # seconds: a shape this brief joins a neighbour the face barely tells from it
VOWELS = frozenset({"AI", "E", "O", "WQ", "L"})
ROUNDED = frozenset({"O", "WQ"})
MAX_BORROW = 0.03  # seconds a short segment may take from a neighbour; shorter ones merge


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
    for minimum in (MIN_DURATION / 2, MIN_DURATION):  # the slivers first, then the short
        _merge_short(segs, minimum)
    _drop_returns(segs)
    _merge_kin(segs)
    for i in range(len(segs) - 2, -1, -1):
        _join_equal(segs, i)
    return [VisemeSegment(round(a, 4), round(b, 4), v, "auto") for a, b, v in segs]


def _merge_short(segs: list[list], minimum: float) -> None:
    """Segments shorter than `minimum` borrow time from a neighbour or merge into it."""
    i = 0
    while i < len(segs):
        start, end, viseme = segs[i]
        if end - start >= minimum - 1e-9 or len(segs) == 1 or viseme == "MBP":
            i += 1  # a closure takes no time from the sounds beside it: the renderer holds it
            continue
        left = segs[i - 1] if i > 0 else None
        right = segs[i + 1] if i + 1 < len(segs) else None
        need = minimum - (end - start)
        # Borrow from speech before silence: taking time from a pause would open the mouth early.
        into = max((s for s in (left, right) if s is not None),
                   key=lambda s: (s[2] != "rest" and s[1] - s[0] - need >= minimum, s[1] - s[0]))
        if need <= MAX_BORROW + 1e-9 and into[1] - into[0] - need >= minimum:
            if into is left:
                left[1] -= need
                segs[i][0] -= need
            else:
                right[0] += need
                segs[i][1] += need
            i += 1
            continue
        sounds = [s for s in (left, right) if s is not None and s[2] not in ("rest", "MBP")]
        pauses = [s for s in (left, right) if s is not None and s[2] == "rest"]
        if viseme != "rest" and into[2] in ("rest", "MBP") and (sounds or pauses):
            # into a sound, else a pause: a pause would shut the mouth over it, and a closure
            # grown over sounds pressed the lips through "stopped to" for 0.34 s
            into = max(sounds or pauses, key=lambda s: s[1] - s[0])
        if into is left:
            left[1] = end
        else:
            right[0] = start
        if openness(viseme) > openness(into[2]) > 0:
            into[2] = viseme  # a short vowel beside a consonant: the vowel is what shows
        del segs[i]
        i = max(0, i - 1)
        _join_equal(segs, i)
        if i > 0:
            _join_equal(segs, i - 1)


def _drop_returns(segs: list[list]) -> None:
    """A-B-A with B shorter than RETURN_DURATION becomes A when B is no more open than A: the
    mouth would barely reach B before going back. Closures, pauses and a vowel between
    consonants always show."""
    i = 1
    while i + 1 < len(segs):
        a, b, c = segs[i - 1], segs[i], segs[i + 1]
        if (a[2] == c[2] and 0 < openness(b[2]) <= openness(a[2])
                and b[1] - b[0] < RETURN_DURATION - 1e-9):
            a[1] = c[1]
            del segs[i:i + 2]
        else:
            i += 1


def _merge_kin(segs: list[list]) -> None:
    """A shape held under KIN_DURATION next to one the face barely tells from it (one vowel
    gliding into another; an etc beside a th) joins that neighbour: the longer one's shape
    shows, a rounded one's if either is rounded (the lips are what a viewer reads)."""
    i = 0
    while i < len(segs):
        start, end, viseme = segs[i]
        kin = [s for s in (segs[i - 1] if i > 0 else None, segs[i + 1] if i + 1 < len(segs) else None)
               if s is not None and _kin(viseme, s[2])]
        if end - start >= KIN_DURATION - 1e-9 or not kin:
            i += 1
            continue
        into = max(kin, key=lambda s: s[1] - s[0])
        if viseme in ROUNDED and into[2] not in ROUNDED:
            into[2] = viseme
        if into is segs[i - 1] if i > 0 else False:
            into[1] = end
        else:
            into[0] = start
        del segs[i]
        i = max(0, i - 1)
        _join_equal(segs, i)
        if i > 0:
            _join_equal(segs, i - 1)


def _kin(a: str, b: str) -> bool:
    if a == b:
        return False
    if a in VOWELS and b in VOWELS:
        return True
    return {a, b} <= {"etc", "TH"}


def openness(viseme: str) -> int:
    """0 closed (rest, MBP), 1 consonant with teeth nearly closed, 2 open (vowels, l, w)."""
    if viseme in ("rest", "MBP"):
        return 0
    if viseme in ("etc", "FV", "TH", "CH"):
        return 1
    return 2


def _join_equal(segs: list[list], i: int) -> None:
    if i + 1 < len(segs) and segs[i][2] == segs[i + 1][2]:
        segs[i][1] = segs[i + 1][1]
        del segs[i + 1]
