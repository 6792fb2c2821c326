"""ARKit blendshape curves in Live Link Face's CSV layout, written and read (docs/exchange.md).

A row per frame: `Timecode` (HH:MM:SS:FF.sss, FF the frame within its second and .sss a
fraction of a frame), `BlendShapeCount` (61: the 52 ARKit coefficients and 9 rotations), the
52 coefficients in Live Link Face's column order, then HeadYaw, HeadPitch, HeadRoll and the
yaw, pitch and roll of each eye. Coefficients are 0..1; rotations are radians, with the
studio's signs (ControlFrame: yaw > 0 toward the viewer's right, pitch > 0 chin up, roll > 0
clockwise as seen; eye yaw and pitch as the gaze track's).

The studio's ControlFrame holds 43 of the 52 coefficients. The eight eyeLook* ones are made from
the gaze (EYE_RANGE degrees = 1) and tongueOut is 0; the frame's small translation and scale
have no column and are left out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from studio.conditioning.control_frame import BLENDSHAPE_INDEX
from studio.doc.errors import InputError

ARKIT: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft",
    "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawRight", "jawLeft", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker",
    "mouthRight", "mouthLeft", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft",
    "mouthStretchRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower",
    "mouthShrugUpper", "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft",
    "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)
ROTATIONS: tuple[str, ...] = ("HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch",
                              "LeftEyeRoll", "RightEyeYaw", "RightEyePitch", "RightEyeRoll")
COLUMNS: tuple[str, ...] = tuple(n[0].upper() + n[1:] for n in ARKIT) + ROTATIONS
HEADER = "Timecode,BlendShapeCount," + ",".join(COLUMNS)
EYE_RANGE = 30.0  # degrees of gaze at which an eyeLook* coefficient is 1
LLF_FPS = 60  # Live Link Face's default capture rate
RATES = (24, 25, 30, 48, 50, 60, 100, 120)


def eye_look(gaze_yaw: np.ndarray, gaze_pitch: np.ndarray) -> dict[str, np.ndarray]:
    """eyeLook* coefficients of a gaze in degrees. Looking toward the viewer's right is the
    face's left: the left eye looks out, the right eye in."""
    h = np.clip(np.asarray(gaze_yaw) / EYE_RANGE, -1.0, 1.0)
    v = np.clip(np.asarray(gaze_pitch) / EYE_RANGE, -1.0, 1.0)
    right, left, up, down = np.maximum(h, 0), np.maximum(-h, 0), np.maximum(v, 0), np.maximum(-v, 0)
    return {"eyeLookOutLeft": right, "eyeLookInRight": right, "eyeLookInLeft": left,
            "eyeLookOutRight": left, "eyeLookUpLeft": up, "eyeLookUpRight": up,
            "eyeLookDownLeft": down, "eyeLookDownRight": down}


def gaze_from_look(values: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The gaze in degrees that `eye_look` would turn into these coefficients (both eyes
    averaged)."""
    def get(name):
        return values[name]
    yaw = (get("eyeLookOutLeft") - get("eyeLookInLeft") + get("eyeLookInRight")
           - get("eyeLookOutRight")) / 2
    pitch = (get("eyeLookUpLeft") - get("eyeLookDownLeft") + get("eyeLookUpRight")
             - get("eyeLookDownRight")) / 2
    return yaw * EYE_RANGE, pitch * EYE_RANGE


def timecode(frame: int, fps: int) -> str:
    seconds, ff = divmod(int(frame), int(fps))
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}.000"


def write_livelink(arrays: dict[str, np.ndarray], fps: int) -> str:
    """The CSV of a ControlSequence's `arrays()` at `fps` frames per second."""
    n = int(arrays["t"].shape[0])
    table = np.zeros((n, len(COLUMNS)), dtype=np.float64)
    expression = arrays["expression"]
    look = eye_look(arrays["gaze_yaw"], arrays["gaze_pitch"])
    for j, name in enumerate(ARKIT):
        if name in BLENDSHAPE_INDEX:
            table[:, j] = expression[:, BLENDSHAPE_INDEX[name]]
        elif name in look:
            table[:, j] = look[name]
    k = len(ARKIT)
    table[:, k:k + 3] = np.radians(np.stack([arrays["yaw"], arrays["pitch"], arrays["roll"]], 1))
    for eye in (k + 3, k + 6):
        table[:, eye] = np.radians(arrays["gaze_yaw"])
        table[:, eye + 1] = np.radians(arrays["gaze_pitch"])
    lines = [HEADER]
    for i in range(n):
        cells = ",".join(f"{v:.6f}" for v in table[i])
        lines.append(f"{timecode(i, fps)},{len(COLUMNS)},{cells}".replace("-0.000000", "0.000000"))
    return "\r\n".join(lines) + "\r\n"


@dataclass
class LiveLinkTake:
    """A take read back: `times` in seconds of timecode (the first row's clock time, not 0),
    `values` by ARKit name (camelCase) or rotation column name, radians for rotations."""

    times: np.ndarray
    values: dict[str, np.ndarray]
    fps: int

    @property
    def start(self) -> float:
        return float(self.times[0])


_TC = re.compile(r"^(\d+):(\d\d):(\d\d)[:;.](\d+)(?:\.(\d+))?$")


def _parse_timecode(text: str, where: str) -> tuple[int, int, str]:
    m = _TC.match(text.strip())
    if not m:
        raise InputError(f"{where}: {text.strip()!r} is not a timecode (HH:MM:SS:FF.sss)")
    h, mi, s, ff, sub = m.groups()
    return int(h) * 3600 + int(mi) * 60 + int(s), int(ff), sub or "0"


def infer_rate(frames: list[tuple[int, int, str]]) -> int:
    """The capture rate from the timecodes' frame numbers: the count of frames in a whole
    second of the take when one is complete, else the smallest common rate above every frame
    number seen (a take of under a second cannot show it: Live Link Face's default 60)."""
    seconds = sorted({s for s, _, _ in frames})
    if len(seconds) < 2:
        return LLF_FPS
    top = max(ff for _, ff, _ in frames) + 1
    inner = set(seconds[1:-1])
    counts = {s: len({ff for t, ff, _ in frames if t == s}) for s in inner}
    if any(count == top for count in counts.values()):
        return top
    return next((r for r in RATES if r >= top), top)


def read_livelink(text: str, name: str = "take.csv", fps: int | None = None) -> LiveLinkTake:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError(f"{name}: empty file")
    header = [h.strip() for h in lines[0].split(",")]
    if header[0].lower() != "timecode":
        raise InputError(f"{name}: not a Live Link Face CSV (its first column is not Timecode)")
    known = {n.lower(): n for n in ARKIT} | {n.lower(): n for n in ROTATIONS}
    columns = {i: known[h.lower()] for i, h in enumerate(header) if h.lower() in known}
    if not columns:
        raise InputError(f"{name}: no ARKit blendshape or rotation columns")
    stamps, rows = [], []
    for n, line in enumerate(lines[1:], 2):
        cells = line.split(",")
        if len(cells) < len(header):
            raise InputError(f"{name}: line {n}: {len(cells)} values for {len(header)} columns")
        stamps.append(_parse_timecode(cells[0], f"{name}: line {n}"))
        try:
            row = [float(cells[i]) for i in columns]
        except ValueError:
            raise InputError(f"{name}: line {n}: a value is not a number") from None
        if not all(math.isfinite(v) for v in row):
            raise InputError(f"{name}: line {n}: a value is not finite")
        rows.append(row)
    if not rows:
        raise InputError(f"{name}: no frames")
    rate = int(fps) if fps else infer_rate(stamps)
    times = np.array([s + (ff + float("0." + sub)) / rate for s, ff, sub in stamps])
    data = np.array(rows, dtype=np.float64)
    order = np.argsort(times, kind="stable")
    times, data = times[order], data[order]
    last = np.append(times[1:] != times[:-1], True)  # a repeated timecode: its last row wins
    times, data = times[last], data[last]
    values = {col: data[:, k] for k, col in enumerate(columns.values())}
    return LiveLinkTake(times, values, rate)
