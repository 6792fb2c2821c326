"""Tracks become per-frame ControlFrames: pose, blinks, emotion, style, gaze and mouth."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pytest

from studio.analysis.performance import Performance
from studio.conditioning.blinks import (
    MAX_DURATION,
    MIN_DURATION,
    MIN_GAP,
    auto_blinks,
    blink_profile,
    blink_span,
    draw_auto_blinks,
    refresh_auto_blinks,
)
from studio.conditioning.control_frame import BLENDSHAPES, ControlFrame
from studio.conditioning.emotion import EMOTION_FADE, PRESETS
from studio.conditioning.mouth import SILENCE, mouth_coefficients
from studio.conditioning.sequence import build_controls
from studio.doc.project import EMOTIONS, Blink, EmotionKey, GazeKey, Key, Project, StyleKey

FPS = 25


def speech_performance(path: Path, fps: int = FPS) -> Performance:
    """Loudness and pauses of the real speech clip, measured the plain way (frame RMS in dB)."""
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), np.int16) / 32768.0
    hop = rate // fps
    n = math.ceil(len(samples) / hop)
    frames = np.pad(samples, (0, n * hop - len(samples))).reshape(n, hop)
    db = 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-9)
    loudness = np.clip((db + 50.0) / 38.0, 0.0, 1.0).astype(np.float32)
    pause = np.convolve((loudness < 0.1).astype(np.float32), np.ones(5) / 5, "same")
    t = np.arange(n) / fps
    head = np.stack([3 * np.sin(t), 2 * np.cos(1.3 * t), np.sin(0.7 * t), 0.01 * np.sin(t),
                     0.005 * np.cos(t)], axis=1).astype(np.float32)
    brow = (0.3 * loudness).astype(np.float32)
    return Performance(fps=fps, loudness=loudness, head=head, expressive={"browInnerUp": brow},
                       pause=pause.astype(np.float32))


@pytest.fixture(scope="module")
def speech(speech_path) -> Performance:
    return speech_performance(speech_path)


@pytest.fixture
def project(speech) -> Project:
    return Project(duration=speech.frame_count / FPS, fps=FPS, seed=3)


def quiet(project: Project) -> Project:
    """No automatic blinks, so explicit ones can be looked at alone."""
    project.tracks.blink_rate.default = 0.0
    return project


def test_one_frame_per_output_frame(speech):
    project = Project(duration=13.2, fps=25)
    controls = build_controls(project, speech)
    assert len(controls) == 330 == project.frame_count()
    project.fps = 30
    controls = build_controls(project, speech)
    assert len(controls) == math.ceil(13.2 * 30)
    frames = list(controls)
    assert len(frames) == len(controls)
    assert all(isinstance(f, ControlFrame) for f in frames)
    assert [f.index for f in frames[:3]] == [0, 1, 2] and frames[30].t == pytest.approx(1.0)
    assert frames[-1].signal_key() == controls.frame(-1).signal_key()
    with pytest.raises(IndexError):
        controls.frame(len(controls))
    arrays = controls.arrays()
    assert arrays["expression"].shape == (len(controls), len(BLENDSHAPES))


def test_pose_curves_reach_the_frames_with_their_signs(project, speech):
    project.tracks.style = [StyleKey(0.0, head_motion=0.0)]
    project.tracks.head_yaw.keys = [Key(0.0, 0.0, "linear"), Key(2.0, 15.0, "step")]
    project.tracks.head_pitch.keys = [Key(1.0, -10.0)]
    project.tracks.head_roll.keys = [Key(0.0, 0.0, "linear"), Key(4.0, 8.0)]
    controls = build_controls(project, speech)
    f = controls.frame(50)  # t = 2 s
    assert (f.yaw, f.pitch, f.roll) == pytest.approx((15.0, -10.0, 4.0))
    assert controls.frame(25).yaw == pytest.approx(7.5)
    assert (f.tx, f.ty, f.scale) == (0.0, 0.0, 1.0)  # head_motion 0: the curves alone


def test_automatic_head_motion_scales_with_style(project, speech):
    project.tracks.head_yaw.keys = [Key(0.0, 10.0)]
    full = build_controls(project, speech)
    project.tracks.style = [StyleKey(0.0, head_motion=0.5)]
    half = build_controls(project, speech)
    auto = speech.head[: len(full)]
    np.testing.assert_allclose(full.yaw, 10.0 + auto[:, 0], atol=1e-5)
    np.testing.assert_allclose(half.yaw, 10.0 + 0.5 * auto[:, 0], atol=1e-5)
    np.testing.assert_allclose(half.tx, 0.5 * auto[:, 3], atol=1e-6)
    assert np.ptp(full.pitch) > 1.0


def test_explicit_blink_peaks_at_its_centre_and_is_open_far_away(project, speech):
    quiet(project).tracks.blinks = [Blink(2.0, 0.3), Blink(8.0, 0.2)]
    controls = build_controls(project, speech)
    for name in ("eyeBlinkLeft", "eyeBlinkRight"):
        blink = controls.coefficient(name)
        assert blink[50] == 1.0 and blink[200] == 1.0
        assert np.all(blink[:40] == 0) and np.all(blink[60:190] == 0) and np.all(blink[215:] == 0)


def test_blink_closes_fast_and_opens_slowly():
    t = np.linspace(0.0, 2.0, 20001)
    profile = blink_profile([Blink(1.0, 0.3)], t)
    assert profile[np.searchsorted(t, 1.0)] == 1.0
    closed = t[profile > 0.5]
    assert 1.0 - closed[0] < closed[-1] - 1.0  # shut sooner than it reopens
    moving = t[profile > 0]
    assert moving[-1] - moving[0] == pytest.approx(0.3, abs=1e-3)


def test_a_short_blink_between_frames_still_closes_a_frame():
    times = np.arange(100) / FPS
    profile = blink_profile([Blink(1.02, 0.1)], times, fps=FPS)  # centre between two frames
    assert profile.max() == 1.0


def test_auto_blinks_are_deterministic_per_seed(project, speech):
    first = auto_blinks(project, speech)
    assert first == auto_blinks(project, speech)
    assert len(first) >= 2
    project.seed = 4
    assert auto_blinks(project, speech) != first
    for blink in first:
        assert blink.source == "auto"
        assert MIN_DURATION <= blink.duration <= MAX_DURATION
        assert round(blink.t * FPS, 6).is_integer()  # centred on a frame


def test_auto_blinks_keep_clear_of_explicit_ones():
    project = Project(duration=300.0, fps=FPS, seed=11)
    project.tracks.blink_rate.default = 40.0
    project.tracks.blinks = [Blink(float(t), 0.3) for t in np.arange(1.0, 300.0, 2.5)]
    auto = auto_blinks(project)
    assert len(auto) > 20
    for a in auto:
        a0, a1 = blink_span(a)
        for e in project.tracks.blinks:
            e0, e1 = blink_span(e)
            assert a1 + MIN_GAP <= e0 + 1e-9 or e1 + MIN_GAP <= a0 + 1e-9
    starts = [blink_span(b) for b in auto]
    assert all(prev[1] + MIN_GAP <= nxt[0] + 1e-9 for prev, nxt in zip(starts, starts[1:]))


def test_auto_blink_rate_is_honoured_over_a_long_clip():
    project = Project(duration=600.0, fps=FPS, seed=5)
    project.tracks.blink_rate.default = 20.0
    assert len(auto_blinks(project)) == pytest.approx(200, rel=0.12)
    # A keyed rate: 10/min for the first half, 40/min for the second.
    project.tracks.blink_rate.keys = [Key(0.0, 10.0, "step"), Key(300.0, 40.0)]
    times = np.array([b.t for b in auto_blinks(project)])
    assert (times < 300).sum() == pytest.approx(50, rel=0.2)
    assert (times >= 300).sum() == pytest.approx(200, rel=0.12)
    project.tracks.blink_rate.keys = [Key(0.0, 0.0)]
    assert auto_blinks(project) == []


def test_pauses_attract_blinks():
    fps, seconds = FPS, 900
    n = seconds * fps
    pause = ((np.arange(n) // (5 * fps)) % 2).astype(np.float32)  # 5 s speech, 5 s pause
    perf = Performance(fps=fps, loudness=1.0 - pause, pause=pause)
    project = Project(duration=seconds, fps=fps, seed=2)
    blinks = auto_blinks(project, perf)
    in_pause = np.array([pause[min(int(round(b.t * fps)), n - 1)] for b in blinks])
    assert in_pause.mean() > 0.65  # half the time is pause, well over half the blinks
    assert len(blinks) == pytest.approx(seconds / 60 * 17, rel=0.15)  # rate still honoured


def _eye(project: Project, speech: Performance) -> np.ndarray:
    return build_controls(project, speech).coefficient("eyeBlinkLeft")


def _closed_frames(curve: np.ndarray) -> list[int]:
    return [int(i) for i in np.flatnonzero(curve == 1.0)]


def test_refresh_keeps_user_blinks_and_redraws_the_automatic_ones(project, speech):
    mine = [Blink(2.0, 0.3), Blink(7.5, 0.25)]
    stale = [Blink(4.0, 0.2, "auto"), Blink(9.0, 0.2, "auto")]
    project.tracks.blinks = sorted(mine + stale, key=lambda b: b.t)
    track = refresh_auto_blinks(project, speech)
    assert [b for b in track if b.source == "user"] == mine
    auto = [b for b in track if b.source == "auto"]
    assert len(auto) >= 2 and stale[0] not in auto
    assert [b.t for b in track] == sorted(b.t for b in track)
    for a in auto:  # never on top of (or crowding) the artist's blinks
        for u in mine:
            assert blink_span(a)[1] + MIN_GAP <= blink_span(u)[0] + 1e-9 or \
                blink_span(u)[1] + MIN_GAP <= blink_span(a)[0] + 1e-9
    # deterministic for a seed, and the stored ones play no part in the draw
    project.tracks.blinks = track
    assert refresh_auto_blinks(project, speech) == track
    project.seed = 9
    reseeded = refresh_auto_blinks(project, speech)
    assert [b for b in reseeded if b.source == "user"] == mine
    assert [b for b in reseeded if b.source == "auto"] != auto
    project.tracks.blink_rate.default = 0.0
    assert refresh_auto_blinks(project, speech) == mine


def test_stored_automatic_blinks_look_exactly_like_drawn_ones(project, speech):
    """`studio init` freezing the blinks into the file must not change how the clip looks."""
    project.tracks.blinks = [Blink(5.0, 0.3)]
    drawn = _eye(project, speech)
    project.tracks.blinks = refresh_auto_blinks(project, speech)
    assert len(project.tracks.blinks) >= 3
    np.testing.assert_array_equal(_eye(project, speech), drawn)
    assert len(_closed_frames(drawn)) >= len(project.tracks.blinks)


def test_stored_automatic_blinks_are_used_as_they_are(project, speech):
    project.tracks.blinks = refresh_auto_blinks(project, speech)
    frozen = _eye(project, speech)
    # what they were drawn from no longer matters: the track holds them
    project.seed = 12
    project.tracks.blink_rate.default = 60.0
    np.testing.assert_array_equal(_eye(project, speech), frozen)
    # a hand-placed automatic blink plays exactly where it is put, alone
    project.tracks.blinks = [Blink(3.0, 0.3, "auto")]
    np.testing.assert_allclose(  # controls are float32
        _eye(project, speech), blink_profile([Blink(3.0, 0.3)], np.arange(len(frozen)) / FPS, FPS),
        atol=1e-6)


def test_deleting_one_automatic_blink_removes_exactly_that_blink(project, speech):
    project.tracks.blinks = refresh_auto_blinks(project, speech)
    before = _eye(project, speech)
    gone = project.tracks.blinks.pop(1)
    after = _eye(project, speech)
    start, end = blink_span(gone)
    inside = (np.arange(len(before)) / FPS > start - 0.05) & (np.arange(len(before)) / FPS < end)
    assert before[round(gone.t * FPS)] == 1.0 and np.all(after[inside] == 0.0)
    np.testing.assert_array_equal(after[~inside], before[~inside])
    assert auto_blinks(project, speech) == project.tracks.blinks


def test_a_user_blink_wins_over_a_stored_automatic_one(project, speech):
    project.tracks.blinks = [Blink(4.0, 0.2, "auto"), Blink(4.1, 0.3), Blink(9.0, 0.2, "auto")]
    assert auto_blinks(project, speech) == [Blink(9.0, 0.2, "auto")]
    times = np.arange(speech.frame_count) / FPS
    np.testing.assert_allclose(
        _eye(project, speech), blink_profile([Blink(4.1, 0.3), Blink(9.0, 0.2)], times, FPS),
        atol=1e-6)


def test_draw_ignores_stored_automatic_blinks(project, speech):
    drawn = draw_auto_blinks(project, speech)
    project.tracks.blinks = [Blink(float(t), 0.2, "auto") for t in np.arange(0.5, 13.0, 1.0)]
    assert draw_auto_blinks(project, speech) == drawn


def test_emotion_presets_are_plausible():
    assert set(PRESETS) == set(EMOTIONS) and PRESETS["neutral"] == {}
    assert PRESETS["happy"]["mouthSmileLeft"] > 0.5 and PRESETS["happy"]["cheekSquintRight"] > 0
    assert PRESETS["sad"]["browInnerUp"] > 0 and PRESETS["sad"]["mouthFrownLeft"] > 0
    assert PRESETS["surprised"]["eyeWideLeft"] > 0 and 0 < PRESETS["surprised"]["jawOpen"] < 0.3
    assert PRESETS["angry"]["browDownLeft"] > 0.5
    for preset in PRESETS.values():
        assert set(preset) <= set(BLENDSHAPES) and all(0 < v <= 1 for v in preset.values())


def test_emotion_cross_fades_scaled_by_intensity(project):
    quiet(project).tracks.emotion = [EmotionKey(0.0, "neutral", 0.0),
                                     EmotionKey(2.0, "happy", 0.5)]
    smile = build_controls(project).coefficient("mouthSmileLeft")
    full = PRESETS["happy"]["mouthSmileLeft"] * 0.5
    fade_frames = math.ceil(EMOTION_FADE * FPS)
    assert np.all(smile[:51] == 0)  # frame 50 is t = 2.0, where the fade starts
    assert 0.4 * full < smile[50 + fade_frames // 2] < 0.6 * full
    assert np.all(np.diff(smile[50:50 + fade_frames + 1]) > 0)
    assert np.allclose(smile[50 + fade_frames:], full)
    # A key interrupting a fade starts from where the face is: no jump.
    project.tracks.emotion.append(EmotionKey(2.2, "sad", 1.0))
    controls = build_controls(project)
    assert np.abs(np.diff(controls.expression, axis=0)).max() < 0.25
    assert controls.coefficient("mouthFrownLeft")[-1] == pytest.approx(
        PRESETS["sad"]["mouthFrownLeft"])
    assert controls.coefficient("mouthSmileLeft")[-1] == 0


def test_lip_amplitude_scales_the_mouth_only(project, speech):
    quiet(project).tracks.emotion = [EmotionKey(0.0, "happy", 1.0)]
    natural = build_controls(project, speech)
    project.tracks.style = [StyleKey(0.0, lip_amplitude=0.5)]
    half = build_controls(project, speech)
    project.tracks.style = [StyleKey(0.0, lip_amplitude=0.0)]
    still = build_controls(project, speech)
    jaw = natural.coefficient("jawOpen")
    assert jaw.max() > 0.3
    np.testing.assert_allclose(half.coefficient("jawOpen"), 0.5 * jaw, atol=1e-6)
    assert not still.coefficient("jawOpen").any()
    np.testing.assert_array_equal(still.coefficient("mouthSmileLeft"),
                                  natural.coefficient("mouthSmileLeft"))


def test_expressiveness_scales_voice_driven_brows(project, speech):
    quiet(project)
    natural = build_controls(project, speech).coefficient("browInnerUp")
    project.tracks.style = [StyleKey(0.0, expressiveness=2.0)]
    double = build_controls(project, speech).coefficient("browInnerUp")
    project.tracks.style = [StyleKey(0.0, expressiveness=0.0)]
    none = build_controls(project, speech).coefficient("browInnerUp")
    assert natural.max() > 0.1
    np.testing.assert_allclose(double, np.minimum(2 * natural, 1.0), atol=1e-6)
    assert not none.any()


def test_coefficients_are_clipped_to_unit_range(project, speech):
    project.tracks.emotion = [EmotionKey(0.0, "surprised", 1.0)]
    project.tracks.style = [StyleKey(0.0, lip_amplitude=3.0, expressiveness=3.0)]
    project.tracks.blinks = [Blink(1.0, 0.4)]
    expression = build_controls(project, speech).expression
    assert expression.min() >= 0.0 and expression.max() == 1.0


def test_loudness_mouth_is_closed_in_silence_and_open_in_speech(project, speech):
    times = np.arange(project.frame_count()) / FPS
    mouth = mouth_coefficients(project, speech, times)
    jaw = mouth["jawOpen"]
    silent = speech.loudness[: len(jaw)] < SILENCE
    loud = speech.loudness[: len(jaw)] > 0.6
    assert silent.sum() > 10 and loud.sum() > 10  # the real clip has both
    for values in mouth.values():
        assert np.all(values[silent] == 0)
    assert jaw[loud].min() > 0.3
    assert mouth["mouthFunnel"].max() > 0.02 and mouth["mouthStretchLeft"].max() > 0.02
    assert mouth_coefficients(project, None, times) == {}


def test_without_a_performance_only_the_keys_move_the_face(project):
    quiet(project).tracks.head_yaw.keys = [Key(0.0, -5.0)]
    controls = build_controls(project)
    assert np.all(controls.yaw == -5.0) and not controls.expression.any()
    assert controls.frame(0).expression == {}


def test_gaze_keys_reach_the_frames(project):
    project.tracks.gaze = [GazeKey(1.0, yaw=12.0, pitch=-4.0, interp="step"),
                           GazeKey(3.0, yaw=-6.0, pitch=2.0)]
    controls = build_controls(project)
    f = controls.frame(50)
    assert (f.gaze_yaw, f.gaze_pitch) == (12.0, -4.0)
    assert (controls.gaze_yaw[100], controls.gaze_pitch[100]) == (-6.0, 2.0)


def test_a_five_minute_clip_has_7500_frames():
    project = Project(duration=300.0, fps=FPS)
    n = project.frame_count()
    perf = Performance(fps=FPS, loudness=np.zeros(n, np.float32))
    controls = build_controls(project, perf)
    assert len(controls) == 7500
    assert controls.coefficient("eyeBlinkLeft").max() == 1.0  # the default rate blinks
