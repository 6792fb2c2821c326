"""Sampling keyed tracks at many times at once.

Every keyed track (pose curves, blink rate, style and gaze keys) is sampled by the same code so
that a key means the same thing everywhere: its `interp` governs the segment from that key to the
next one, the first value holds before the first key and the last value after the last key.
Sampling is vectorised because conditioning samples every track at every output frame (7500
frames for a 5-minute clip) on each edit.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from studio.doc.project import INTERPOLATIONS, Curve

_INTERP_CODE = {name: code for code, name in enumerate(INTERPOLATIONS)}
_LINEAR, _SMOOTH, _STEP, _EASE = (_INTERP_CODE[n] for n in ("linear", "smooth", "step", "ease"))


def ease_in_out(u: np.ndarray) -> np.ndarray:
    """Smoothstep: zero slope at both ends, so a move starts and lands softly."""
    return u * u * (3.0 - 2.0 * u)


def monotone_tangents(t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Fritsch–Carlson tangents for columns of `v` (n keys x k fields): cubic Hermite segments
    built on them never overshoot the key values, so a smooth head turn never swings past the
    angle the artist keyed."""
    n = len(t)
    m = np.zeros_like(v)
    if n < 2:
        return m
    h = np.diff(t)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(h > 0, np.diff(v, axis=0) / np.where(h > 0, h, 1.0), 0.0)
    m[0], m[-1] = delta[0], delta[-1]
    if n > 2:
        inner = 0.5 * (delta[:-1] + delta[1:])
        m[1:-1] = np.where(delta[:-1] * delta[1:] > 0, inner, 0.0)
    for i in range(n - 1):
        flat = delta[i] == 0
        m[i] = np.where(flat, 0.0, m[i])
        m[i + 1] = np.where(flat, 0.0, m[i + 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            a = np.where(flat, 0.0, m[i] / np.where(flat, 1.0, delta[i]))
            b = np.where(flat, 0.0, m[i + 1] / np.where(flat, 1.0, delta[i]))
        r = a * a + b * b
        too_steep = r > 9.0
        tau = np.where(too_steep, 3.0 / np.sqrt(np.where(too_steep, r, 1.0)), 1.0)
        m[i] = np.where(too_steep, tau * a * delta[i], m[i])
        m[i + 1] = np.where(too_steep, tau * b * delta[i], m[i + 1])
    return m


def sample_keys(
    key_times: Sequence[float],
    key_values: np.ndarray,
    interps: Sequence[str],
    times: np.ndarray,
) -> np.ndarray:
    """Sample keys carrying several fields at once.

    `key_values` is (n keys, k fields), keys sorted by time; returns (len(times), k). Fields of one
    key share its interpolation, which is what style and gaze keys need.
    """
    times = np.asarray(times, dtype=np.float64)
    values = np.asarray(key_values, dtype=np.float64).reshape(len(key_times), -1)
    n, k = values.shape
    if n == 0:
        raise ValueError("sample_keys needs at least one key")
    if n == 1:
        return np.broadcast_to(values[0], (times.shape[0], k)).copy()
    kt = np.asarray(key_times, dtype=np.float64)
    codes = np.array([_INTERP_CODE[i] for i in interps])
    seg = np.clip(np.searchsorted(kt, times, side="right") - 1, 0, n - 2)
    t0, t1 = kt[seg], kt[seg + 1]
    span = t1 - t0
    u = np.clip(np.where(span > 0, (times - t0) / np.where(span > 0, span, 1.0), 1.0), 0.0, 1.0)
    # Before the first key hold the first value, after the last hold the last.
    u = np.where(times < kt[0], 0.0, u)
    u = np.where(times >= kt[-1], 1.0, u)
    code = codes[seg]

    v0, v1 = values[seg], values[seg + 1]
    weight = np.select(
        [code == _STEP, code == _EASE],
        [(u >= 1.0).astype(np.float64), ease_in_out(u)],
        default=u,
    )[:, None]
    out = v0 + (v1 - v0) * weight

    smooth = code == _SMOOTH
    if smooth.any():
        m = monotone_tangents(kt, values)
        us = u[smooth][:, None]
        hs = span[smooth][:, None]
        s = seg[smooth]
        u2, u3 = us * us, us * us * us
        out[smooth] = (
            (2 * u3 - 3 * u2 + 1) * values[s]
            + (u3 - 2 * u2 + us) * hs * m[s]
            + (-2 * u3 + 3 * u2) * values[s + 1]
            + (u3 - u2) * hs * m[s + 1]
        )
    return out


def sample_curve(curve: Curve, times: np.ndarray) -> np.ndarray:
    """The curve's value at each time (float64, same length as `times`)."""
    times = np.asarray(times, dtype=np.float64)
    if not curve.keys:
        return np.full(times.shape[0], float(curve.default))
    keys = sorted(curve.keys, key=lambda key: key.t)
    return sample_keys(
        [key.t for key in keys], np.array([[key.v] for key in keys]),
        [key.interp for key in keys], times,
    )[:, 0]


def sample_records(
    records: Sequence[object],
    fields: Sequence[str],
    times: np.ndarray,
    defaults: dict[str, float],
) -> dict[str, np.ndarray]:
    """Sample keyed records (StyleKey, GazeKey: `t`, `interp` and numeric fields) per field.

    With no records every field takes its default, so a project without style keys speaks in the
    natural style.
    """
    times = np.asarray(times, dtype=np.float64)
    if not records:
        return {name: np.full(times.shape[0], float(defaults[name])) for name in fields}
    ordered = sorted(records, key=lambda r: r.t)
    values = np.array([[float(getattr(r, name)) for name in fields] for r in ordered])
    sampled = sample_keys([r.t for r in ordered], values, [r.interp for r in ordered], times)
    return {name: sampled[:, i] for i, name in enumerate(fields)}
