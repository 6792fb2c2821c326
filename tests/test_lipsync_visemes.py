"""Visemes -> mouth curves: closures held, user overrides, style scaling, no flapping, docs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from studio.analysis.lipsync import PHONEME_VISEMES, VISEMES
from studio.analysis.lipsync.segments import MIN_DURATION, merge_runs
from studio.analysis.lipsync.spelling import spell, words_of
from studio.conditioning.visemes import VISEME_SHAPES, viseme_mouth
from studio.doc.project import VisemeSegment

DOC = Path(__file__).resolve().parent.parent / "docs" / "lipsync.md"
TIMES = np.arange(50) / 25.0


def _seg(start, end, viseme, source="auto"):
    return VisemeSegment(start, end, viseme, source)


def test_a_closure_shorter_than_a_frame_still_shuts_the_mouth():
    segments = [_seg(0.0, 0.50, "AI"), _seg(0.50, 0.515, "MBP"), _seg(0.515, 1.0, "AI")]
    mouth = viseme_mouth(segments, TIMES)
    shut = np.flatnonzero(mouth["mouthPressLeft"] > 0.5)
    assert shut.size == 1 and abs(TIMES[shut[0]] - 0.48) <= 0.04
    assert mouth["jawOpen"][shut[0]] == 0.0
    assert mouth["jawOpen"][shut[0] - 3] > 0.5 and mouth["jawOpen"][shut[0] + 3] > 0.5


def test_mouth_anticipates_the_next_shape():
    mouth = viseme_mouth([_seg(0.0, 1.0, "rest"), _seg(1.0, 2.0, "AI")], TIMES)
    assert mouth["jawOpen"][24] > 0.15  # 40 ms before the vowel starts, the jaw is on its way
    assert mouth["jawOpen"][20] < 0.01


def test_user_segments_override_automatic_ones():
    auto = [_seg(0.0, 2.0, "AI")]
    mouth = viseme_mouth(auto + [_seg(0.8, 1.2, "WQ", "user")], TIMES)
    assert mouth["mouthPucker"][25] > 0.7 and mouth["jawOpen"][25] < 0.15
    assert mouth["jawOpen"][10] > 0.55 and mouth["mouthPucker"][10] == 0


def test_lip_amplitude_scales_openings_but_not_closures():
    segments = [_seg(0.0, 0.4, "AI"), _seg(0.4, 0.6, "MBP"), _seg(0.6, 2.0, "O")]
    full, half = viseme_mouth(segments, TIMES), viseme_mouth(segments, TIMES, lip_amplitude=0.5)
    np.testing.assert_allclose(half["jawOpen"][30:], 0.5 * full["jawOpen"][30:], atol=1e-6)
    assert half["mouthPressLeft"][12] == full["mouthPressLeft"][12] > 0.5


def test_fast_alternation_does_not_flap():
    runs = [(i * 0.02, (i + 1) * 0.02, "AI" if i % 2 else "E") for i in range(50)]
    segments = merge_runs(runs)
    assert all(s.end - s.start >= MIN_DURATION - 1e-9 for s in segments)
    assert segments[0].start == 0.0 and segments[-1].end == 1.0
    assert all(a.end == b.start for a, b in zip(segments, segments[1:]))


def test_every_viseme_has_a_mouth_shape_and_every_phoneme_a_viseme():
    assert set(VISEME_SHAPES) == set(VISEMES)
    assert set(PHONEME_VISEMES.values()) <= set(VISEMES)


def test_documented_table_matches_the_code():
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|$", DOC.read_text(), re.MULTILINE)
    documented = {name: set(re.findall(r"\b[A-Z]{1,3}\b", phones)) for name, phones in rows}
    assert set(documented) == set(VISEMES)
    for phone, viseme in PHONEME_VISEMES.items():
        if phone.isalpha():
            assert phone in documented[viseme], (phone, viseme)


def test_letter_to_sound_rules_spell_unknown_words():
    assert spell("zorblax") == "Z AO R B L AE K S"
    assert spell("phone").startswith("F")
    assert words_of("Dr. Zorblax, 42!") == ["dr", "zorblax", "four", "two"]


def test_lip_sync_holds_shapes_as_long_as_the_renderer_anticipates():
    """lipsync.fill holds a shape before a pause for the renderer's anticipation (the two
    layers cannot import each other's constant, so this test ties them)."""
    from studio.analysis.lipsync.fill import ANTICIPATION_HOLD
    from studio.conditioning.visemes import ANTICIPATION

    assert ANTICIPATION_HOLD == ANTICIPATION


def test_a_brief_glide_between_vowels_joins_the_longer_vowel_rounded_lips_winning():
    """One vowel gliding into another for under KIN_DURATION was two shapes a viewer saw as a
    twitch; a consonant between vowels is still shown."""
    glide = merge_runs([(0.0, 0.25, "AI"), (0.25, 0.36, "E"), (0.36, 0.6, "rest")])
    assert [s.viseme for s in glide] == ["AI", "rest"] and glide[0].end == 0.36
    rounded = merge_runs([(0.0, 0.25, "E"), (0.25, 0.37, "O"), (0.37, 0.6, "rest")])
    assert [s.viseme for s in rounded] == ["O", "rest"]
    consonant = merge_runs([(0.0, 0.25, "AI"), (0.25, 0.36, "etc"), (0.36, 0.6, "E")])
    assert [s.viseme for s in consonant] == ["AI", "etc", "E"]


def test_a_short_closure_takes_no_time_from_the_next_word():
    """An 80 ms closure between two words borrowed 20 ms from the next word's vowel, which then
    opened late; the renderer holds a closure a frame whatever its length."""
    segments = merge_runs([(0.0, 0.4, "E"), (0.4, 0.48, "MBP"), (0.48, 0.8, "AI")])
    assert [(s.start, s.end, s.viseme) for s in segments] == [
        (0.0, 0.4, "E"), (0.4, 0.48, "MBP"), (0.48, 0.8, "AI")]


def test_a_vowel_the_phones_ended_early_sounds_on_to_the_pause():
    """The aligner often ends a word's last vowel before its sound fades; the signal calls the
    fading end a breath ("etc"), so "hello" closed to etc before its pause."""
    from studio.analysis.lipsync.fill import fill_rests, to_frames
    from studio.analysis.lipsync.signal import CLASSES

    frames = to_frames([(0.0, 0.1, "etc"), (0.1, 0.3, "O")], 50, 100.0)
    speech = np.zeros(50, bool)
    speech[:38] = True
    labels = np.full(50, CLASSES.index("etc"), np.int8)
    filled = fill_rests(frames, labels, speech)
    assert (filled[30:38] == list(VISEMES).index("O")).all() and (filled[38:] == list(VISEMES).index("rest")).all()
    inside = to_frames([(0.0, 0.1, "O"), (0.2, 0.3, "AI")], 50, 100.0)  # a hole between sounds
    assert (fill_rests(inside, labels, speech)[10:20] == list(VISEMES).index("etc")).all()


def test_a_short_sound_after_a_pause_joins_the_next_sound_not_the_pause():
    """The l of "lamp" (80 ms, after a 20 ms sliver) merged into the rest before it, so the word
    opened 90 ms late."""
    runs = [(16.3, 16.68, "rest"), (16.68, 16.70, "etc"), (16.70, 16.78, "L"), (16.78, 16.88, "AI"),
            (16.88, 16.98, "MBP"), (16.98, 17.2, "etc")]
    first = next(s for s in merge_runs(runs) if s.viseme != "rest")
    assert first.start <= 16.70 and first.viseme in ("L", "AI"), first


def test_an_h_before_a_vowel_has_the_vowel_s_shape():
    from studio.analysis.lipsync.analyze import _phone_visemes
    from studio.analysis.lipsync.phonemes import Phone

    phones = [Phone(0.1, 0.2, "HH"), Phone(0.2, 0.45, "EH"), Phone(0.45, 0.6, "L")]
    segments = _phone_visemes(phones, np.zeros(80, np.int8), np.zeros(80, bool), 100.0, 0.8)
    assert [(s.start, s.viseme) for s in segments if s.viseme != "rest"][:2] == [(0.1, "E"), (0.45, "L")]


def test_a_vowel_sounds_until_a_stop_falls_silent_but_an_m_shuts_the_lips_at_once():
    """The renderer moves every shape 40 ms early; a p's closure (silence) after a vowel then
    shut the lips 40 ms before the vowel ended. An m's murmur is voiced with the lips shut."""
    from studio.analysis.lipsync.fill import ANTICIPATION_HOLD, hold_before_rests, to_frames

    frames = to_frames([(0.0, 0.2, "AI"), (0.2, 0.28, "MBP"), (0.28, 0.5, "E")], 50, 100.0)
    hold = int(round(ANTICIPATION_HOLD * 100))
    silent_gap = np.ones(50, bool)
    silent_gap[20:28] = False
    held = hold_before_rests(frames, 100.0, silent_gap)
    assert (held[20:20 + hold] == list(VISEMES).index("AI")).all()
    assert (held[20 + hold:28] == list(VISEMES).index("MBP")).all()
    murmur = hold_before_rests(frames, 100.0, np.ones(50, bool))
    assert (murmur[20:28] == list(VISEMES).index("MBP")).all()


def test_a_closure_never_grows_over_the_sounds_after_it():
    """"stopped to": the p, its release, two stop gaps and the t of "to" left short sounds
    between a closure and pauses, which merged into the closure one by one and pressed the lips
    shut for 0.34 s, into the next word."""
    runs = [(4.38, 4.54, "AI"), (4.54, 4.59, "MBP"), (4.59, 4.7, "etc"), (4.7, 4.72, "rest"),
            (4.72, 4.8, "etc"), (4.8, 4.83, "rest"), (4.83, 4.88, "etc"), (4.88, 5.12, "WQ")]
    closure = [s for s in merge_runs(runs) if s.viseme == "MBP"]
    assert len(closure) == 1 and closure[0].end <= 4.6, closure
