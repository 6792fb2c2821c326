"""ARKit coefficients -> per-landmark 3D offsets, built once from the subject's own face.

Every blendshape is a displacement field over the 478 landmarks, made from the portrait's
geometry (lid gaps, lip seam, mouth width, brow height) rather than from a generic template, so
a blink closes exactly this subject's lids and a jaw drop is sized to this subject's mouth. The
fields are written in the face's own frame (right, down, away; pose.face_axes) and turned into
image axes once, so a tilted portrait still blinks along its own vertical.
Per frame the offsets are one small tensor contraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from studio.analysis.pose import face_axes
from studio.conditioning.control_frame import BLENDSHAPE_INDEX, BLENDSHAPES
from studio.analysis import landmarks as topo

# Jaw rotation at jawOpen = 1 about a hinge near the ear; with this subject-scaled hinge the lower
# lip drops about 0.3 eye-corner distances, a wide-open mouth.
JAW_ANGLE = 22.0
# Iris travel in eye widths per unit sine of the gaze angle, and its limits inside the eye.
GAZE_GAIN = (0.45, 0.6)
GAZE_LIMIT = (0.28, 0.2)
# Where closed lids meet, as a fraction of the lid gap from the lower lid: the upper lid does
# most of a blink.
LID_MEET = 0.2


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _gauss(points: np.ndarray, centre: np.ndarray, sigma: float) -> np.ndarray:
    return np.exp(-((points - centre) ** 2).sum(axis=1) / (2.0 * sigma * sigma))


def _interp(curve_x: np.ndarray, curve_y: np.ndarray, x: np.ndarray) -> np.ndarray:
    order = np.argsort(curve_x)
    return np.interp(x, curve_x[order], curve_y[order])


@dataclass
class ExpressionRig:
    """Blendshape offsets in image axes (pixels) plus what gaze and the mouth need per frame."""

    basis: np.ndarray          # len(BLENDSHAPES) x 478 x 3
    axes: np.ndarray           # 3 x 3, columns: the face's right, down, away in image axes
    unit: float                # outer eye-corner distance, pixels
    iris: tuple[np.ndarray, np.ndarray]  # indices moved by gaze: right eye, left eye
    eye_width: tuple[float, float]
    warp_vertices: np.ndarray  # bool 478: landmarks that deform the picture

    def offsets(self, expression: Mapping[str, float], gaze_yaw: float, gaze_pitch: float) -> np.ndarray:
        """478 x 3 landmark offsets (image axes, pixels) for one frame's expression and gaze."""
        coeffs = np.zeros(len(BLENDSHAPES))
        for name, value in expression.items():
            coeffs[BLENDSHAPE_INDEX[name]] = value
        coeffs = np.clip(coeffs, 0.0, 1.0)
        jaw = coeffs[BLENDSHAPE_INDEX["jawOpen"]]
        # Lips can close only as far as the jaw has opened them; a wide eye cannot stay wide
        # through a blink.
        close = BLENDSHAPE_INDEX["mouthClose"]
        coeffs[close] = min(coeffs[close], jaw)
        for side in ("Left", "Right"):
            coeffs[BLENDSHAPE_INDEX[f"eyeWide{side}"]] *= 1.0 - coeffs[BLENDSHAPE_INDEX[f"eyeBlink{side}"]]
        active = np.flatnonzero(coeffs)
        # einsum, not tensordot: a multi-threaded BLAS called from several render threads at
        # once spins against itself (studio.engine renders frames on threads)
        out = np.einsum("k,kij->ij", coeffs[active], self.basis[active]) if active.size else (
            np.zeros(self.basis.shape[1:], dtype=np.float64))
        if gaze_yaw or gaze_pitch:
            out = out.copy()
            for indices, width in zip(self.iris, self.eye_width):
                dx = np.clip(GAZE_GAIN[0] * np.sin(np.radians(gaze_yaw)), -GAZE_LIMIT[0], GAZE_LIMIT[0])
                dy = np.clip(GAZE_GAIN[1] * np.sin(np.radians(gaze_pitch)), -GAZE_LIMIT[1], GAZE_LIMIT[1])
                # Gaze is in the head's frame: the iris moves along the face's own axes.
                out[indices] += self.axes @ np.array([dx * width, -dy * width, 0.0])
        return out


def build_expression_rig(landmarks: np.ndarray) -> ExpressionRig:
    """Make the blendshape fields for one face (478 x 3 pixel landmarks at rest)."""
    lm = np.asarray(landmarks, dtype=np.float64)
    axes = face_axes(lm)
    origin = lm[list(topo.FACE_OVAL)].mean(axis=0)
    local = (lm - origin) @ axes
    unit = float(np.linalg.norm(lm[topo.RIGHT_EYE_CORNERS[0]] - lm[topo.LEFT_EYE_CORNERS[0]]))
    shapes = _Shapes(local, unit)
    basis = np.zeros((len(BLENDSHAPES), len(lm), 3))
    for name, field in shapes.all().items():
        basis[BLENDSHAPE_INDEX[name]] = field @ axes.T
    warp = np.ones(len(lm), dtype=bool)
    warp[list(topo.RIGHT_IRIS + topo.LEFT_IRIS)] = False
    for eye, iris in ((shapes.right_eye, topo.RIGHT_IRIS), (shapes.left_eye, topo.LEFT_IRIS)):
        for i in iris:
            # Iris points hidden under a lid would drag the lid's skin along with the gaze.
            warp[i] = eye.inside(local[i, :2], margin=0.15)
    iris = (np.array(topo.RIGHT_IRIS), np.array(topo.LEFT_IRIS))
    widths = (shapes.right_eye.width, shapes.left_eye.width)
    return ExpressionRig(basis, axes, unit, iris, widths, warp)


class _Eye:
    """One eye's lid curves in the face frame, for lid motions sized by the subject's lid gap."""

    def __init__(self, local: np.ndarray, upper, lower, corners, crease, fold, under, iris):
        self.local = local
        self.upper, self.lower = np.array(upper), np.array(lower)
        self.corners, self.crease, self.fold = np.array(corners), np.array(crease), np.array(fold)
        self.under, self.iris = np.array(under), np.array(iris)
        self.width = float(np.linalg.norm(local[corners[0], :2] - local[corners[1], :2]))
        self.gaps = np.maximum(local[self.lower, 1] - local[self.upper, 1], 0.0)
        self.top = float(local[self.upper, 1].mean())

    def gap_at(self, x: np.ndarray) -> np.ndarray:
        return _interp(self.local[self.upper, 0], self.gaps, x)

    def lower_at(self, x: np.ndarray) -> np.ndarray:
        return _interp(self.local[self.lower, 0], self.local[self.lower, 1], x)

    def inside(self, point: np.ndarray, margin: float) -> bool:
        """Whether a point lies inside the lid opening, shrunk by margin x the local gap."""
        x, y = point
        gap = float(self.gap_at(np.array([x]))[0])
        low = float(self.lower_at(np.array([x]))[0])
        xs = self.local[self.corners, 0]
        return bool(xs.min() < x < xs.max() and low - gap * (1 - margin) < y < low - gap * margin)

    def lids(self, upper: float, lower: float, crease: float, fold: float, under: float) -> np.ndarray:
        """Vertical lid motion: each ring moves by its factor x the lid gap (> 0 is down)."""
        field = np.zeros_like(self.local)
        field[self.upper, 1] = upper * self.gaps
        field[self.lower, 1] = lower * self.gaps
        field[self.crease, 1] = crease * self.gaps
        field[self.fold, 1] = fold * self.gaps
        field[self.under, 1] = under * self.gap_at(self.local[self.under, 0])
        return field

    def blink(self) -> np.ndarray:
        field = self.lids(1.0 - LID_MEET, -LID_MEET, 0.35, 0.1, -0.05)
        # Iris points ride to where the lids meet, so nothing of the eye shows through.
        x, y = self.local[self.iris, 0], self.local[self.iris, 1]
        meet = self.lower_at(x) - LID_MEET * self.gap_at(x)
        field[self.iris, 1] = meet - y
        return field


class _Shapes:
    """The subject-sized displacement field of every ARKit blendshape, in the face frame."""

    def __init__(self, local: np.ndarray, unit: float):
        import cv2

        self.local, self.s = local, unit
        xy = local[:, :2]
        self.right_eye = _Eye(local, topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER, topo.RIGHT_EYE_CORNERS,
                              topo.RIGHT_EYE_CREASE, topo.RIGHT_EYE_FOLD, topo.RIGHT_EYE_UNDER, topo.RIGHT_IRIS)
        self.left_eye = _Eye(local, topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER, topo.LEFT_EYE_CORNERS,
                             topo.LEFT_EYE_CREASE, topo.LEFT_EYE_FOLD, topo.LEFT_EYE_UNDER, topo.LEFT_IRIS)

        # Lips: inside the outer contour, split by the seam between the inner contours.
        outline = list(topo.LIPS_UPPER_OUTER) + list(reversed(topo.LIPS_LOWER_OUTER[1:-1]))
        polygon = xy[outline].astype(np.float32)
        dist = np.array([cv2.pointPolygonTest(polygon, (float(x), float(y)), True) for x, y in xy])
        upper_in, lower_in = np.array(topo.LIPS_UPPER_INNER), np.array(topo.LIPS_LOWER_INNER)
        seam_x = (xy[upper_in, 0] + xy[lower_in, 0]) / 2
        self.seam = _interp(seam_x, (xy[upper_in, 1] + xy[lower_in, 1]) / 2, xy[:, 0])
        lips = dist >= -0.02 * unit
        self.lower_lip = (lips & (xy[:, 1] > self.seam)).astype(float)
        self.upper_lip = (lips & (xy[:, 1] <= self.seam)).astype(float)
        for group, lower in ((topo.LIPS_UPPER_INNER, 0.0), (topo.LIPS_LOWER_INNER, 1.0),
                             (topo.LIPS_UPPER_OUTER, 0.0), (topo.LIPS_LOWER_OUTER, 1.0)):
            self.lower_lip[list(group)] = lower
            self.upper_lip[list(group)] = 1.0 - lower
        corners = list(topo.MOUTH_CORNERS + topo.INNER_MOUTH_CORNERS)
        self.lower_lip[corners] = self.upper_lip[corners] = 0.5
        self.lip = self.lower_lip + self.upper_lip
        # Skin near the lips follows lip motions with a falloff over about a lip's height.
        self.near_mouth = np.where(lips, 1.0, np.exp(-(np.minimum(dist, 0.0) / (0.15 * unit)) ** 2 / 2))

        self.corner_r, self.corner_l = xy[topo.MOUTH_CORNERS[0]], xy[topo.MOUTH_CORNERS[1]]
        self.mouth_x = (self.corner_r[0] + self.corner_l[0]) / 2
        self.mouth_y = (self.corner_r[1] + self.corner_l[1]) / 2
        self.half_width = abs(self.corner_l[0] - self.corner_r[0]) / 2
        self.t = np.clip((xy[:, 0] - self.mouth_x) / self.half_width, -1.5, 1.5)
        self.eye_y = (self.right_eye.top + self.left_eye.top) / 2
        # Below the eyes only: mouth and cheek fields must not drag the lids.
        self.below_eyes = _smoothstep(self.eye_y + 0.2 * unit, self.eye_y + 0.4 * unit, xy[:, 1])

        skin_jaw = _smoothstep(self.mouth_y - 0.1 * unit, self.mouth_y + 0.25 * unit, xy[:, 1])
        self.jaw_weight = np.where(lips, self.lower_lip, skin_jaw)

    # -- helpers -------------------------------------------------------------------------------
    def _field(self, weight: np.ndarray, vector) -> np.ndarray:
        return weight[:, None] * (np.asarray(vector, dtype=float) * self.s)[None, :]

    def _corner(self, side: str) -> np.ndarray:
        centre = self.corner_l if side == "Left" else self.corner_r
        return _gauss(self.local[:, :2], centre, 0.2 * self.s) * self.below_eyes

    def _side(self, side: str) -> np.ndarray:
        ramp = _smoothstep(-0.3, 0.3, self.t)
        return ramp if side == "Left" else 1.0 - ramp

    def _out(self, side: str) -> float:
        """The outward x sign of a side: the subject's left is the face frame's +x."""
        return 1.0 if side == "Left" else -1.0

    def _above_lid(self, eye: _Eye, brow: int) -> np.ndarray:
        y = self.local[:, 1]
        brow_y = self.local[brow, 1]
        return np.clip((eye.top - y) / max(eye.top - brow_y, 1e-6), 0.0, 1.0)

    def _toward_seam(self, lip: np.ndarray, amount: float) -> np.ndarray:
        field = np.zeros_like(self.local)
        field[:, 1] = -amount * lip * (self.local[:, 1] - self.seam)
        return field

    # -- the shapes ----------------------------------------------------------------------------
    def jaw_open(self) -> np.ndarray:
        """Rotate the jaw about a hinge near the ear, so the chin swings down and back."""
        s, local = self.s, self.local
        lip_z = local[list(topo.LIPS_UPPER_OUTER), 2].mean()
        hinge = np.array([self.mouth_y - 0.35 * s, lip_z + 0.9 * s])
        a = np.radians(JAW_ANGLE)
        rel = local[:, 1:] - hinge
        rotated = np.stack([rel[:, 0] * np.cos(a) - rel[:, 1] * np.sin(a),
                            rel[:, 0] * np.sin(a) + rel[:, 1] * np.cos(a)], axis=1)
        field = np.zeros_like(local)
        field[:, 1:] = (rotated - rel) * self.jaw_weight[:, None]
        return field

    def all(self) -> dict[str, np.ndarray]:
        s = self.s
        f = self._field
        shapes = {"jawOpen": self.jaw_open()}
        shapes["jawLeft"] = f(self.jaw_weight, (0.1, 0, 0))
        shapes["jawRight"] = f(self.jaw_weight, (-0.1, 0, 0))
        shapes["jawForward"] = f(self.jaw_weight, (0, 0.01, -0.08))
        shapes["mouthLeft"] = f(self.near_mouth, (0.1, 0, 0))
        shapes["mouthRight"] = f(self.near_mouth, (-0.1, 0, 0))
        # mouthClose acts with jawOpen: it brings the lips back together over an open jaw.
        shapes["mouthClose"] = f(self.upper_lip, (0, 0.12, 0)) - f(self.lower_lip, (0, 0.12, 0))
        inward = np.zeros_like(self.local)
        inward[:, 0] = -self.t * self.half_width * self.near_mouth
        shapes["mouthFunnel"] = (
            0.15 * inward + f(self.upper_lip * (1 - self.t**2).clip(0), (0, -0.06, 0))
            + f(self.lower_lip * (1 - self.t**2).clip(0), (0, 0.06, 0)) + f(self.near_mouth, (0, 0, -0.05))
        )
        shapes["mouthPucker"] = 0.3 * inward + f(self.near_mouth, (0, 0, -0.08))
        shapes["mouthRollLower"] = self._toward_seam(self.lower_lip, 0.6) + f(self.lower_lip, (0, 0, 0.03))
        shapes["mouthRollUpper"] = self._toward_seam(self.upper_lip, 0.6) + f(self.upper_lip, (0, 0, 0.03))
        chin = self.jaw_weight * (1 - self.lip)
        shapes["mouthShrugLower"] = f(self.lower_lip, (0, -0.04, -0.03)) + f(chin * self.near_mouth, (0, -0.03, 0))
        shapes["mouthShrugUpper"] = f(self.upper_lip, (0, -0.03, -0.02))
        taper = 1.0 - _smoothstep(0.6, 1.0, np.abs(self.t))
        above_lip = (self.near_mouth * (1 - self.lip)) * (self.local[:, 1] < self.seam)
        below_lip = (self.near_mouth * (1 - self.lip)) * (self.local[:, 1] > self.seam)
        for side in ("Left", "Right"):
            out = self._out(side)
            corner, half = self._corner(side), self._side(side)
            shapes[f"mouthSmile{side}"] = (
                f(corner, (0.09 * out, -0.1, 0.03))
                + f(_gauss(self.local[:, :2], np.array([self.mouth_x + out * 0.55 * s, self.mouth_y - 0.3 * s]),
                           0.2 * s) * self._cheek_mask(), (0, -0.04, -0.02))
            )
            shapes[f"mouthFrown{side}"] = f(corner, (0.01 * out, 0.08, 0))
            shapes[f"mouthStretch{side}"] = f(corner, (0.09 * out, 0.03, 0))
            shapes[f"mouthDimple{side}"] = f(corner, (0.04 * out, 0, 0.03))
            shapes[f"mouthPress{side}"] = self._toward_seam(self.lip * half, 0.35)
            shapes[f"mouthUpperUp{side}"] = f((self.upper_lip + 0.5 * above_lip) * half * taper, (0, -0.09, 0))
            shapes[f"mouthLowerDown{side}"] = f((self.lower_lip + 0.5 * below_lip) * half * taper, (0, 0.09, 0))
            cheek = _gauss(self.local[:, :2], np.array([self.mouth_x + out * 0.6 * s, self.mouth_y - 0.1 * s]), 0.25 * s)
            shapes["cheekPuff"] = shapes.get("cheekPuff", 0) + f(cheek * self.below_eyes, (0.06 * out, 0, -0.03))
            eye = self.left_eye if side == "Left" else self.right_eye
            squint_centre = np.array([self.local[eye.corners, 0].mean() + out * 0.1 * s, eye.top + 0.45 * s])
            shapes[f"cheekSquint{side}"] = (
                f(_gauss(self.local[:, :2], squint_centre, 0.18 * s) * self._cheek_mask(), (0, -0.05, 0))
                + eye.lids(0.0, -0.15, 0.0, 0.0, -0.2)
            )
            shapes[f"eyeBlink{side}"] = eye.blink()
            shapes[f"eyeSquint{side}"] = eye.lids(0.1, -0.3, 0.05, 0.0, -0.15)
            shapes[f"eyeWide{side}"] = eye.lids(-0.25, 0.05, -0.15, -0.05, 0.0)
            inner, mid, outer = ((topo.LEFT_BROW_INNER, topo.LEFT_BROW_MID, topo.LEFT_BROW_OUTER) if side == "Left"
                                 else (topo.RIGHT_BROW_INNER, topo.RIGHT_BROW_MID, topo.RIGHT_BROW_OUTER))
            above = self._above_lid(eye, mid)
            xy = self.local[:, :2]
            shapes["browInnerUp"] = shapes.get("browInnerUp", 0) + f(_gauss(xy, xy[inner], 0.18 * s) * above, (0, -0.1, 0))
            shapes[f"browOuterUp{side}"] = f(_gauss(xy, xy[outer], 0.18 * s) * above, (0, -0.09, 0))
            shapes[f"browDown{side}"] = f(_gauss(xy, xy[mid], 0.25 * s) * above, (-0.02 * out, 0.07, 0))
            wing = topo.LEFT_NOSE_WING if side == "Left" else topo.RIGHT_NOSE_WING
            shapes[f"noseSneer{side}"] = f(_gauss(xy, xy[wing], 0.1 * s), (0, -0.04, 0))
        return shapes

    def _cheek_mask(self) -> np.ndarray:
        """Cheek skin only: below the lower lids and outside the lips."""
        y = self.local[:, 1]
        low = np.maximum(self.right_eye.lower_at(self.local[:, 0]), self.left_eye.lower_at(self.local[:, 0]))
        return _smoothstep(0.0, 0.12 * self.s, y - low) * (1 - self.lip)
