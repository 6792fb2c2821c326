"""The built-in renderer: the portrait's own face mesh, re-posed and re-expressed per frame.

Per portrait (prepare): fit the photo to the output size, build subject-sized blendshape fields,
a scaffold in three layers (the head with its hair, hat and glasses rigid; the torso still; the
neck bending between them, mesh_scaffold.py), and rasterise the triangulated mesh to a coarse
grid. Per frame (render): move the vertices (expression, then rotation about a pivot behind the
face, translation, scale), turn their displacements into one backward map, depth-tested where
the turned head folds over itself so the far cheek hides behind the face (mesh_warp.py), remap
the person and composite it over a background that stays still (the photo where the background
was visible, the clean plate where the person stood), then paint the mouth interior.

Fitting: the photo is cover-cropped to the output's aspect ratio around the face and resized,
so a square photo fills a square output untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from studio.analysis.face_rig import FaceRig
from studio.analysis.pose import rotation_matrix
from studio.conditioning.control_frame import ControlFrame
from studio.doc.errors import InputError
from studio.analysis import landmarks as topo
from studio.render.base import FrameByFrame
from studio.render.mesh_expression import ExpressionRig, build_expression_rig
from studio.render.mesh_eyes import build_eye_lid, draw_closed_lid
from studio.render.mesh_mouth import MouthModel, MouthShape, build_mouth_model, draw_mouth
from studio.render.mesh_scaffold import HeadModel, build_head_model, limit_depth_slope
from studio.render.mesh_warp import DenseWarp

MIN_SIDE, MAX_SIDE = 64, 1024
# The head pose (degrees from the portrait's own, per project track) within which the renderer
# is believable on head-and-shoulders portraits (bench/bench_poses.py, docs/benchmarks.md):
# beyond it the turned-away side of the head, which the photo never showed, would be needed.
# The timeline draws it as a band on the pose lane and marks keys beyond it.
BELIEVABLE_POSE = {"head_yaw": 30.0, "head_pitch": 20.0, "head_roll": 20.0}
# Grid cell of the dense map, in face widths: about forty cells across the face keeps lids and
# lips crisp; bounded so small faces stay exact and big frames stay fast.
CELL_PER_FACE_WIDTH = 1 / 40
CELL_RANGE = (2, 8)
# Steepest depth change (pixels of depth per pixel across the image) the mesh keeps: turns up
# to arctan(1 / (slope x depth gain)), about 20 degrees, compress the far side of the face; past
# that it folds, and the depth test hides what turned away.
DEPTH_SLOPE = 2.0
# MediaPipe's depths are flatter than real faces: a head turned by the commanded angle with them
# reads (to people, and to FaceMesh itself) as turned less. Yaw and pitch see the face this much
# deeper, which makes the measured turn match the command (tests/test_mesh_render.py).
YAW_DEPTH_GAIN, PITCH_DEPTH_GAIN = 1.35, 1.06


@dataclass
class _Prepared:
    width: int
    height: int
    landmarks: np.ndarray     # 478 x 3, output pixel centres
    expression: ExpressionRig
    head: HeadModel
    warp: DenseWarp
    warp_face: np.ndarray     # indices of the landmarks that are warp vertices
    source: np.ndarray        # H x W x 4 uint8: the person premultiplied by its alpha, and alpha
    plate: np.ndarray         # H x W x 3 uint8: the background with the person removed
    still: np.ndarray         # H x W x 3 uint8: the photo, which is the neutral frame
    mask: np.ndarray          # H x W uint8
    mouth: MouthModel
    lids: dict                # ARKit side -> (EyeLid, upper lid, lower lid, crease: landmark indices)


class MeshRenderer(FrameByFrame):
    """CPU renderer, real time at 512 x 512 on one core; see the module docstring."""

    name = "mesh"
    renders_in_threads = True  # render() only reads the prepared state: frames may run on threads

    def __init__(self) -> None:
        self._p: _Prepared | None = None

    # -- per portrait ----------------------------------------------------------------------------
    def prepare(self, rig: FaceRig, width: int = 512, height: int = 512) -> None:
        # 1. check inputs
        for side in (width, height):
            if not (isinstance(side, (int, np.integer)) and MIN_SIDE <= side <= MAX_SIDE):
                raise InputError(
                    f"output size {width}x{height} is not supported: use {MIN_SIDE} to {MAX_SIDE} pixels a side"
                )
        width, height = int(width), int(height)

        # 2. fit the photo, its mask, clean plate and landmarks to the output
        image, mask, plate, landmarks = _fit(rig, width, height)

        # 3. the mesh: expression fields, head scaffold, the rasterised triangulation
        expression = build_expression_rig(landmarks)
        face_width = float(np.linalg.norm(landmarks[topo.FACE_SIDES[0], :2] - landmarks[topo.FACE_SIDES[1], :2]))
        cell = int(np.clip(round(face_width * CELL_PER_FACE_WIDTH), *CELL_RANGE))
        extent = (-(-width // cell) * cell, -(-height // cell) * cell)
        head = build_head_model(landmarks, extent, mask)
        depth = limit_depth_slope(np.concatenate([landmarks, head.points]), DEPTH_SLOPE)
        landmarks = np.column_stack([landmarks[:, :2], depth[: len(landmarks)]])
        head.points = np.column_stack([head.points[:, :2], depth[len(landmarks):]])
        warp_face = np.flatnonzero(expression.warp_vertices)
        points = np.concatenate([landmarks[warp_face, :2], head.points[:, :2]])
        movable = np.concatenate([np.ones(len(warp_face), dtype=bool), head.follow > 0])
        warp = DenseWarp(points, movable, width, height, cell)

        # 4. compositing layers. The photo is person over background, I = m F + (1 - m) B; with
        # the clean plate for B, the premultiplied person m F = I - (1 - m) B moves with the
        # warp and lands on the plate: exactly the photo where nothing moves, no halo of the old
        # outline where the head moved away, and hair the mask missed travels with the head.
        source = _premultiplied(image, mask, plate)
        mask_u8 = np.round(mask * 255).astype(np.uint8)

        # 5. the mouth's colours, teeth and rest shape; the eyes' lid skin
        skin = image[_skin_mask(landmarks, image.shape[:2])]
        mouth = build_mouth_model(image, landmarks, expression.axes, skin)
        lids = {}
        for side, corners, upper_lid, lower_lid, crease, fold, under in (
            ("Left", topo.LEFT_EYE_CORNERS, topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER, topo.LEFT_EYE_CREASE,
             topo.LEFT_EYE_FOLD, topo.LEFT_EYE_UNDER),
            ("Right", topo.RIGHT_EYE_CORNERS, topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER, topo.RIGHT_EYE_CREASE,
             topo.RIGHT_EYE_FOLD, topo.RIGHT_EYE_UNDER),
        ):
            outer, inner = corners
            upper_ring, lower_ring = [outer, *upper_lid, inner], [outer, *lower_lid, inner]
            lid = build_eye_lid(image, *(landmarks[list(ring), :2] for ring in (upper_ring, lower_ring, fold, crease, under)))
            lids[side] = (lid, upper_ring, lower_ring, list(crease))
        self._p = _Prepared(
            width=width, height=height, landmarks=landmarks, expression=expression, head=head,
            warp=warp, warp_face=warp_face, source=source, plate=plate, still=image, mask=mask_u8,
            mouth=mouth, lids=lids,
        )

    # -- per frame -----------------------------------------------------------------------------
    def posed_landmarks(self, frame: ControlFrame) -> np.ndarray:
        """478 x 2 positions (output pixels, MediaPipe's convention) of the re-posed face mesh."""
        self._prepared()
        face, _, _ = self._pose(frame)
        return (face[:, :2] + 0.5).astype(np.float32)

    def render(self, frame: ControlFrame, with_alpha: bool = False) -> np.ndarray:
        import cv2

        p = self._prepared()
        # 1. move the mesh
        face, moved = self._sampling(frame)
        # 2. warp the person over the still background, the nearest surface where it folds
        out = p.still.copy()
        alpha = p.mask.copy() if with_alpha else None
        if moved is not None:
            region, map_x, map_y = moved
            warped = cv2.remap(p.source, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            # contiguous channels: OpenCV's arithmetic on strided views copies them first
            person = cv2.cvtColor(warped, cv2.COLOR_RGBA2RGB)
            warped_alpha = cv2.extractChannel(warped, 3)
            uncovered = cv2.cvtColor(cv2.bitwise_not(warped_alpha), cv2.COLOR_GRAY2RGB)
            behind = cv2.multiply(p.plate[region], uncovered, scale=1.0 / 255.0)
            cv2.add(person, behind, dst=out[region])
            if alpha is not None:
                alpha[region] = warped_alpha
        # 3. the mouth interior and closed lids
        self._paint_mouth(out, frame, face)
        for side, (lid, upper_lid, lower_lid, crease) in p.lids.items():
            blink = frame.coefficient(f"eyeBlink{side}")
            if blink > 0.0:
                draw_closed_lid(out, lid, face[upper_lid, :2], face[lower_lid, :2], face[crease, :2], blink)
        if alpha is not None:
            return np.dstack([out, alpha])
        return out

    def sampling_map(self, frame: ControlFrame):
        """(region, map_x, map_y): where each output pixel of the moving block samples the
        portrait (output pixels), or None when nothing moves."""
        self._prepared()
        return self._sampling(frame)[1]

    # -- internals -----------------------------------------------------------------------------
    def _sampling(self, frame: ControlFrame):
        """(478 x 3 posed landmarks, the backward map of the posed mesh or None)."""
        p = self._p
        face, scaffold, scaffold_depth = self._pose(frame)
        displacement = np.concatenate([
            face[p.warp_face, :2] - p.landmarks[p.warp_face, :2],
            scaffold,
        ])
        depth = np.concatenate([face[p.warp_face, 2], scaffold_depth])
        return face, p.warp.backward_map(displacement, depth)

    def _prepared(self) -> _Prepared:
        if self._p is None:
            raise RuntimeError("MeshRenderer.prepare(rig, width, height) must be called before rendering")
        return self._p

    def _rigid(self, frame: ControlFrame):
        """The head's rigid motion as a function on N x 3 points."""
        p = self._p
        rotation = _rotation(frame)
        pivot = p.head.pivot
        shift = np.array([frame.tx, frame.ty, 0.0]) * p.head.face_width
        return lambda pts: (pts - pivot) @ (frame.scale * rotation).T + pivot + shift

    def _pose(self, frame: ControlFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(478 x 3 posed landmarks, M x 2 scaffold displacements, M scaffold depths)."""
        p = self._p
        rigid = self._rigid(frame)
        offsets = p.expression.offsets(frame.expression, frame.gaze_yaw, frame.gaze_pitch)
        face = rigid(p.landmarks + offsets)
        moved = (rigid(p.head.points) - p.head.points) * p.head.follow[:, None]
        return face, moved[:, :2], p.head.points[:, 2] + moved[:, 2]

    def _paint_mouth(self, out: np.ndarray, frame: ControlFrame, face: np.ndarray) -> None:
        p = self._p
        upper = face[list(topo.LIPS_UPPER_INNER), :2]
        lower = face[list(topo.LIPS_LOWER_INNER), :2]
        # The lips part by more than the head's motion alone would show them parted.
        rigid = self._rigid(frame)
        rest = rigid(p.landmarks[list(topo.LIPS_UPPER_INNER + topo.LIPS_LOWER_INNER)])[:, :2]
        half = len(topo.LIPS_UPPER_INNER)
        extra = float(np.linalg.norm(upper - lower, axis=1).mean() - np.linalg.norm(rest[:half] - rest[half:], axis=1).mean())
        if extra <= 1e-3:
            return
        centre = p.landmarks[list(topo.INNER_MOUTH_CORNERS)].mean(axis=0)
        axes = (frame.scale * _rotation(frame)) @ p.expression.axes
        shape = MouthShape(
            opening=np.concatenate([upper, lower[::-1][1:-1]]),
            upper=upper,
            lower=lower,
            origin=rigid(centre[None])[0, :2],
            axes=axes[:2, :2],
            extra_gap=extra,
        )
        draw_mouth(out, shape, p.mouth)


def _rotation(frame: ControlFrame) -> np.ndarray:
    """The head rotation (pose.rotation_matrix's order and signs) with yaw and pitch acting on a
    deepened face; roll is in the picture's plane and needs no depth."""
    return _rotation_of(float(frame.yaw), float(frame.pitch), float(frame.roll))


@lru_cache(maxsize=8)
def _rotation_of(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """_rotation's matrix, kept for the few calls of one frame (read-only)."""
    ry = _deepened(rotation_matrix(yaw, 0.0, 0.0), YAW_DEPTH_GAIN)
    rp = _deepened(rotation_matrix(0.0, pitch, 0.0), PITCH_DEPTH_GAIN)
    rotation = rotation_matrix(0.0, 0.0, roll) @ rp @ ry
    rotation.setflags(write=False)
    return rotation


def _deepened(rotation: np.ndarray, gain: float) -> np.ndarray:
    """D^-1 R D with D = diag(1, 1, gain): the rotation acting on a face `gain` times deeper."""
    depth = np.array([1.0, 1.0, gain])
    return rotation * depth[None, :] / depth[:, None]


def _fit(rig: FaceRig, width: int, height: int):
    """Cover-crop the rig's pictures to width x height around the face; landmarks follow."""
    import cv2

    src_h, src_w = rig.image.shape[:2]
    scale = max(width / src_w, height / src_h)
    crop_w, crop_h = min(round(width / scale), src_w), min(round(height / scale), src_h)
    x0f, y0f, x1f, y1f = rig.face_box
    x0 = int(np.clip(round((x0f + x1f) / 2 - crop_w / 2), 0, src_w - crop_w))
    y0 = int(np.clip(round((y0f + y1f) / 2 - crop_h / 2), 0, src_h - crop_h))
    sx, sy = width / crop_w, height / crop_h

    def fit(picture: np.ndarray) -> np.ndarray:
        crop = picture[y0:y0 + crop_h, x0:x0 + crop_w]
        if (crop_w, crop_h) == (width, height):
            return np.ascontiguousarray(crop)
        shrink = crop_w > width
        return cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)

    image = fit(rig.image)
    mask = np.clip(fit(rig.mask.astype(np.float32)), 0.0, 1.0)
    plate = fit(rig.clean_plate)
    if plate.shape != image.shape:
        plate = image
    landmarks = rig.landmarks.astype(np.float64).copy()
    # MediaPipe measures from the image's edge; the warp works on pixel centres.
    landmarks[:, 0] = (landmarks[:, 0] - x0) * sx - 0.5
    landmarks[:, 1] = (landmarks[:, 1] - y0) * sy - 0.5
    landmarks[:, 2] *= sx
    return image, mask, plate, landmarks


def _premultiplied(image: np.ndarray, mask: np.ndarray, plate: np.ndarray) -> np.ndarray:
    """H x W x 4 uint8: the person premultiplied by its alpha, P = I - (1 - a) B, and a.

    Where the mask is too stingy for a pixel darker than the plate (dark hair the segmentation
    half missed), P would go negative; there alpha is raised just enough (a = 1 - min_c I_c / B_c)
    that P is zero in the darkest channel: still an exact split of the photo, I = P + (1 - a) B,
    and it fits in 8 bits.
    """
    image_f, plate_f = image.astype(np.float32), plate.astype(np.float32)
    alpha = mask.astype(np.float32)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(plate_f > 0, image_f / plate_f, np.inf).min(axis=-1, keepdims=True)
    alpha = np.maximum(alpha, 1.0 - np.clip(ratio, 0.0, 1.0))
    alpha_u8 = np.round(alpha * 255.0)
    person = image_f - (1.0 - alpha_u8 / 255.0) * plate_f
    return np.dstack([np.clip(np.round(person), 0, 255), alpha_u8]).astype(np.uint8)


def _skin_mask(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Cheek patches under the eyes: the photo's exposure of skin."""
    import cv2

    mask = np.zeros(shape, np.uint8)
    radius = max(int(0.06 * np.linalg.norm(landmarks[topo.FACE_SIDES[0], :2] - landmarks[topo.FACE_SIDES[1], :2])), 1)
    for index in (50, 280):  # cheek centres below each eye
        x, y = np.round(landmarks[index, :2]).astype(int)
        cv2.circle(mask, (x, y), radius, 1, -1)
    return mask.astype(bool)
