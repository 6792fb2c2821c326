"""Live2D Cubism motion (`.motion3.json`) with the standard face parameters (docs/exchange.md).

Structure from Live2D's published specification (CubismSpecs, FileFormats/motion3.json.md and
Schemas/motion3.schema.json): Version 3; Meta with Duration, Fps, Loop, AreBeziersRestricted,
CurveCount, TotalSegmentCount, TotalPointCount, UserDataCount and TotalUserDataSize; Curves of
{Target, Id, Segments}. Segments is one flat list: the first point (t, value), then per segment
its type (0 linear, 1 bezier, 2 stepped, 3 inverse stepped) and its points (1, or 3 for a
bezier). A curve's points are its first one plus each segment's. Only linear segments are
written, through the samples RDP keeps (thinning.py), so the file stays small and exact to the
tolerance.

Parameters (Cubism's standard IDs), from a ControlSequence:
| ParamAngleX / Y / Z  | head yaw / pitch / roll in degrees, the studio's signs, clipped to +-30 |
| ParamEyeLOpen / ROpen | 1 - eyeBlinkLeft / Right                                              |
| ParamEyeBallX / Y     | gaze yaw / pitch / EYE_RANGE, -1..1                                   |
| ParamBrowLY / RY      | browOuterUp - browDown of that side, -1..1                            |
| ParamMouthOpenY       | jawOpen / MOUTH_FULL (the widest viseme's jaw), 0..1                  |
| ParamMouthForm        | smile + stretch / 2 - pucker - frown, -1..1                           |
"""

from __future__ import annotations

import json

import numpy as np

from studio.conditioning.control_frame import BLENDSHAPE_INDEX
from studio.exchange.livelink import EYE_RANGE
from studio.exchange.thinning import thin

MOUTH_FULL = 0.6
ANGLE_RANGE = 30.0
# id -> tolerance of the thinned curve
PARAMETERS: dict[str, float] = {
    "ParamAngleX": 0.1, "ParamAngleY": 0.1, "ParamAngleZ": 0.1,
    "ParamEyeLOpen": 0.01, "ParamEyeROpen": 0.01, "ParamEyeBallX": 0.01, "ParamEyeBallY": 0.01,
    "ParamBrowLY": 0.01, "ParamBrowRY": 0.01, "ParamMouthOpenY": 0.01, "ParamMouthForm": 0.01,
}


def parameters(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each parameter's value at every frame of a ControlSequence's `arrays()`."""
    e = arrays["expression"].astype(np.float64)

    def c(name: str) -> np.ndarray:
        return e[:, BLENDSHAPE_INDEX[name]]

    def both(stem: str) -> np.ndarray:
        return (c(f"{stem}Left") + c(f"{stem}Right")) / 2

    angle = {axis: np.clip(arrays[key], -ANGLE_RANGE, ANGLE_RANGE)
             for axis, key in (("X", "yaw"), ("Y", "pitch"), ("Z", "roll"))}
    return {
        "ParamAngleX": angle["X"], "ParamAngleY": angle["Y"], "ParamAngleZ": angle["Z"],
        "ParamEyeLOpen": 1.0 - c("eyeBlinkLeft"), "ParamEyeROpen": 1.0 - c("eyeBlinkRight"),
        "ParamEyeBallX": np.clip(arrays["gaze_yaw"] / EYE_RANGE, -1, 1),
        "ParamEyeBallY": np.clip(arrays["gaze_pitch"] / EYE_RANGE, -1, 1),
        "ParamBrowLY": np.clip(c("browOuterUpLeft") - c("browDownLeft"), -1, 1),
        "ParamBrowRY": np.clip(c("browOuterUpRight") - c("browDownRight"), -1, 1),
        "ParamMouthOpenY": np.clip(c("jawOpen") / MOUTH_FULL, 0, 1),
        "ParamMouthForm": np.clip(both("mouthSmile") + both("mouthStretch") / 2
                                  - c("mouthPucker") - both("mouthFrown"), -1, 1),
    }


def _segments(times: np.ndarray, values: np.ndarray, tolerance: float) -> list[float]:
    kept = thin(times, values, tolerance)
    flat = [round(float(times[kept[0]]), 4), round(float(values[kept[0]]), 4)]
    for i in kept[1:]:
        flat += [0, round(float(times[i]), 4), round(float(values[i]), 4)]
    return flat


def write_motion3(arrays: dict[str, np.ndarray], fps: float) -> str:
    times = arrays["t"]
    n = int(times.shape[0])
    curves = []
    segments = points = 0
    if n:
        for ident, values in parameters(arrays).items():
            flat = _segments(times, values, PARAMETERS[ident])
            count = (len(flat) - 2) // 3
            segments += count
            points += 1 + count
            curves.append({"Target": "Parameter", "Id": ident, "Segments": flat})
    motion = {
        "Version": 3,
        "Meta": {
            "Duration": round(n / fps, 4), "Fps": float(fps), "Loop": False,
            "AreBeziersRestricted": True, "CurveCount": len(curves),
            "TotalSegmentCount": segments, "TotalPointCount": points,
            "UserDataCount": 0, "TotalUserDataSize": 0,
        },
        "Curves": curves,
    }
    return json.dumps(motion, indent=1) + "\n"
