"""Automatic head motion, expressiveness and pause weights from the prosody of the voice.

Speakers nod on stressed syllables, drift slowly while they talk, raise their brows on pitch
accents and settle when they stop. All of it is computed at the 100 Hz feature rate, made to
fade with speech activity (so the head returns to rest in silence), low-passed well below the
output frame rate (so there is no frame-to-frame jitter at any fps) and sampled per output
frame. The random parts come from a generator seeded by the project seed, so a re-analysis
gives the same motion. Amplitudes are those of style.head_motion = expressiveness = 1;
conditioning applies the style, so editing it never re-runs this.
scipy.ndimage is imported inside the functions that use it, and scipy.signal not at all
(studio.analysis.dsp has its two functions): they cost a second of start-up, and the
application must open fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.analysis.dsp import find_peaks, lowpass
from studio.analysis.lipsync.features import Features

NOD_DEG = 3.0  # chin dip on the strongest emphasis
PITCH_FOLLOW_DEG = 1.0  # chin rise per standard deviation of voice pitch
DRIFT_DEG = (2.0, 0.8, 1.0)  # slow yaw, pitch, roll wander while speaking
SWAY = (0.012, 0.006)  # tx, ty in face widths
BROW_GAIN, CHEEK_GAIN = 0.35, 0.15
MOTION_CUTOFF = 2.0  # Hz: the head moves no faster than this
DRIFT_CUTOFF = 0.35  # Hz: the slow wander
SETTLE = 0.6  # seconds: how long activity lingers after speech stops


@dataclass
class Prosody:
    head: np.ndarray  # (N, 5) yaw, pitch, roll deg, tx, ty face widths
    expressive: dict[str, np.ndarray]
    pause: np.ndarray  # (N,) 0..1
    stresses: np.ndarray  # times (s) of the stressed syllables that drove nods


def _lowpass(x: np.ndarray, cutoff: float, rate: float) -> np.ndarray:
    if x.shape[0] < 16:
        return x
    return lowpass(x, cutoff, rate, padlen=min(x.shape[0] - 1, 3 * int(rate / cutoff)))


def _pulses(times: np.ndarray, heights: np.ndarray, n: int, rate: float, width: float) -> np.ndarray:
    """A smooth bump of `width` seconds for each event, centred on it."""
    from scipy.ndimage import gaussian_filter1d

    train = np.zeros(n)
    np.add.at(train, np.clip((times * rate).astype(int), 0, n - 1), heights)
    return gaussian_filter1d(train, width * rate / 2.355) * (width * rate / 2.355) * np.sqrt(2 * np.pi)


def _activity(speech: np.ndarray, rate: float) -> np.ndarray:
    """0..1: speech in the last moments; held for SETTLE seconds after it stops, then fading."""
    from scipy.ndimage import gaussian_filter1d, maximum_filter1d, uniform_filter1d

    presence = uniform_filter1d(speech.astype(np.float64), max(1, int(0.3 * rate)))
    size = max(1, int(SETTLE * rate))
    held = maximum_filter1d(presence, size, origin=(size - 1) // 2, mode="constant")
    return np.clip(gaussian_filter1d(held, 0.15 * rate), 0.0, 1.0)


def stressed_syllables(features: Features, speech: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times (s) and strengths (0..1) of syllable nuclei that stand out in loudness and pitch."""
    from scipy.ndimage import gaussian_filter1d, uniform_filter1d

    rate = features.frame_rate
    level = np.where(speech, features.level_db, np.nan)
    if not np.any(speech):
        return np.zeros(0), np.zeros(0)
    top = np.nanpercentile(level, 95)
    loud = np.clip((np.nan_to_num(level, nan=top - 40) - (top - 30)) / 30, 0, 1)
    envelope = gaussian_filter1d(loud, 0.03 * rate)
    peaks, prominences = find_peaks(envelope, prominence=0.08, distance=max(1, int(0.12 * rate)))
    if peaks.size == 0:
        return np.zeros(0), np.zeros(0)
    pitch = features.pitch
    voiced = pitch > 0
    semis = np.zeros_like(pitch, dtype=np.float64)
    if voiced.sum() > 10:
        semis[voiced] = 12 * np.log2(pitch[voiced] / np.median(pitch[voiced]))
        semis = gaussian_filter1d(np.where(voiced, semis, 0.0), 0.05 * rate)
    local = uniform_filter1d(envelope, int(2.0 * rate))
    strength = prominences + np.clip(envelope[peaks] - local[peaks], 0, None)
    strength += 0.05 * np.clip(semis[peaks], 0, 6)
    strength = strength / max(float(np.max(strength)), 1e-6)
    return peaks / rate, strength


def derive(features: Features, speech: np.ndarray, fps: float, frame_count: int, seed: int = 0
           ) -> Prosody:
    """Head motion, expressiveness and pause weights, one row per output frame at `fps`."""
    from scipy.ndimage import gaussian_filter1d

    rate, n = features.frame_rate, len(features)
    rng = np.random.default_rng(seed)
    activity = _activity(speech, rate)
    # 1. emphasis: nods (chin dips) and brow raises on the stronger stressed syllables
    times, strength = stressed_syllables(features, speech)
    emphatic = strength >= (np.percentile(strength, 60) if strength.size else 1.0)
    nod = _pulses(times[emphatic], strength[emphatic], n, rate, 0.45)
    accent = _pulses(times, strength ** 2, n, rate, 0.35)
    # 2. the voice's pitch contour lifts the chin a little
    voiced = features.pitch > 0
    pitch_z = np.zeros(n)
    if voiced.sum() > 10:
        semis = 12 * np.log2(features.pitch[voiced] / np.median(features.pitch[voiced]))
        pitch_z[voiced] = semis / max(float(np.std(semis)), 1.0)
        pitch_z = gaussian_filter1d(pitch_z, 0.25 * rate)
    # 3. slow wander and sway from seeded noise
    noise = _lowpass(rng.standard_normal((n, 5)), DRIFT_CUTOFF, rate)
    noise /= np.maximum(noise.std(axis=0), 1e-9)
    head = np.zeros((n, 5))
    head[:, 0] = DRIFT_DEG[0] * noise[:, 0]
    head[:, 1] = DRIFT_DEG[1] * noise[:, 1] - NOD_DEG * nod + PITCH_FOLLOW_DEG * pitch_z
    head[:, 2] = DRIFT_DEG[2] * noise[:, 2]
    head[:, 3] = SWAY[0] * noise[:, 3]
    head[:, 4] = SWAY[1] * noise[:, 4] + 0.004 * nod
    # Low-pass, then fade with the (already smooth) activity: the product stays band-limited.
    head = _lowpass(head, MOTION_CUTOFF, rate) * activity[:, None]
    # 4. brows and cheeks with the accents
    accent = _lowpass(np.clip(accent, 0, 1), MOTION_CUTOFF * 2, rate) * activity
    brow = np.clip(BROW_GAIN * accent * (1 + 0.5 * np.clip(pitch_z, 0, 2)), 0, 1)
    cheek = np.clip(CHEEK_GAIN * accent, 0, 1)
    # 5. pauses: frames away from speech, strongest just after a phrase ends
    presence = gaussian_filter1d(speech.astype(np.float64), 0.15 * rate)
    pause = np.clip(1.0 - presence, 0, 1) * (0.5 + 0.5 * activity)
    pause = np.maximum(pause, np.clip(1.0 - presence, 0, 1) * 0.5)
    # 6. one row per output frame
    out_t = np.arange(frame_count) / fps
    grid_t = np.arange(n) / rate

    def sample(x: np.ndarray) -> np.ndarray:
        return np.interp(out_t, grid_t, x).astype(np.float32)

    return Prosody(
        head=np.stack([sample(head[:, k]) for k in range(5)], axis=1),
        expressive={"browInnerUp": sample(brow), "browOuterUpLeft": sample(0.6 * brow),
                    "browOuterUpRight": sample(0.6 * brow), "cheekSquintLeft": sample(cheek),
                    "cheekSquintRight": sample(cheek)},
        pause=np.clip(sample(pause), 0, 1),
        stresses=times[emphatic],
    )
