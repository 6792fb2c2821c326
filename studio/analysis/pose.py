"""Measure a face from its MediaPipe landmarks: head pose, eye and mouth opening, gaze.

The renderer's tests re-detect landmarks on rendered frames and compare these measurements with
the ControlFrame that produced them, so the conventions here are the project's (control_frame.py):
yaw > 0 turns the face toward the viewer's right (the nose moves right in the image), pitch > 0
tilts the chin up (the nose moves up), roll > 0 tilts the head clockwise as seen in the image.

Landmarks are 478 x 3 arrays in image pixels: x to the right, y down, z away from the camera in
the same pixel units (MediaPipe's z is relative depth scaled like x; the nose tip has the most
negative z). That frame is right-handed, so rotations are ordinary 3 x 3 rotation matrices.
"""

from __future__ import annotations

import threading

import numpy as np

from studio.analysis import landmarks as topo
from studio.analysis.mediapipe_solutions import solutions
from studio.analysis.native_logs import quiet_native_logs

# Landmarks that move with the skull and not with expressions: forehead, nose bridge and tip,
# inner and outer eye corners, cheekbones. Lips, eyelids, brows and the chin are left out so
# that talking and blinking do not read as head motion. So are the points on the face's side
# outline (234, 454, 127, 356, 93, 323, 132, 361): FaceMesh slides them along the visible
# silhouette as the head turns, and on re-detected renders they were 3-7 px off where the
# points above were about 1 px off, which cost several degrees of pitch.
STABLE_LANDMARKS: tuple[int, ...] = (
    10, 151, 9, 108, 337, 69, 299, 104, 333, 67, 297, 109, 338,  # forehead
    168, 6, 197, 195, 5, 4,  # nose bridge and tip
    33, 133, 362, 263, 130, 359,  # eye corners
    116, 345, 117, 346, 123, 352, 50, 280,  # cheekbones
)

# Pairs mirrored across the face's midline (subject's right, subject's left), used to find the
# face's left-right axis without a template.
SYMMETRIC_PAIRS: tuple[tuple[int, int], ...] = (
    (33, 263), (133, 362), (130, 359), (116, 345), (117, 346), (123, 352), (50, 280),
    (234, 454), (127, 356), (93, 323), (132, 361), (67, 297), (109, 338), (108, 337),
    (69, 299), (104, 333),
)
FOREHEAD, CHIN = topo.FOREHEAD, topo.CHIN

# Eyes, lids and irises, named for the subject (ARKit's eyeBlinkLeft is the subject's left eye,
# which appears on the right of the image).
RIGHT_EYE_CORNERS, LEFT_EYE_CORNERS = topo.RIGHT_EYE_CORNERS, topo.LEFT_EYE_CORNERS
RIGHT_EYE_LIDS = ((159, 145), (158, 153), (160, 144))
LEFT_EYE_LIDS = ((386, 374), (385, 380), (387, 373))
RIGHT_IRIS, LEFT_IRIS = topo.RIGHT_IRIS[0], topo.LEFT_IRIS[0]  # the centres
MOUTH_CORNERS = topo.MOUTH_CORNERS
INNER_LIPS = ((13, 14), (82, 87), (312, 317))

_face_mesh = None
_face_mesh_lock = threading.Lock()


def rotation_matrix(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """The 3 x 3 rotation (degrees, project signs) that acts on landmark coordinates.

    Applied as roll @ pitch @ yaw: yaw about the face's vertical axis first, then pitch, then the
    in-image roll, so a pure roll is exactly a rotation of the picture.
    """
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0.0, -np.sin(y)], [0.0, 1.0, 0.0], [np.sin(y), 0.0, np.cos(y)]])
    rp = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(p), np.sin(p)], [0.0, -np.sin(p), np.cos(p)]])
    rr = np.array([[np.cos(r), -np.sin(r), 0.0], [np.sin(r), np.cos(r), 0.0], [0.0, 0.0, 1.0]])
    return rr @ rp @ ry


def angles_from_matrix(rotation: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees such that rotation_matrix(yaw, pitch, roll) == rotation."""
    r = np.asarray(rotation, dtype=np.float64)
    pitch = np.degrees(np.arcsin(np.clip(-r[2, 1], -1.0, 1.0)))
    yaw = np.degrees(np.arctan2(r[2, 0], r[2, 2]))
    roll = np.degrees(np.arctan2(-r[0, 1], r[1, 1]))
    return float(yaw), float(pitch), float(roll)


def fit_rotation(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Least-squares similarity (Umeyama) with target ~ scale * R @ source + t; returns R, scale, t.

    Scale is part of the fit because a face that moves toward the camera grows; leaving it out
    would push the size change into the rotation.
    """
    src = np.asarray(source, dtype=np.float64)
    dst = np.asarray(target, dtype=np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    u, s, vt = np.linalg.svd(dst_c.T @ src_c)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.diag([1.0, 1.0, d])
    rotation = u @ fix @ vt
    scale = float((s * np.diag(fix)).sum() / (src_c**2).sum())
    translation = dst_mean - scale * rotation @ src_mean
    return rotation, scale, translation


def relative_pose(reference: np.ndarray, moved: np.ndarray) -> tuple[float, float, float]:
    """Head rotation (yaw, pitch, roll) in degrees that takes `reference` landmarks to `moved`."""
    idx = list(STABLE_LANDMARKS)
    rotation, _, _ = fit_rotation(np.asarray(reference)[idx], np.asarray(moved)[idx])
    return angles_from_matrix(rotation)


def face_axes(landmarks: np.ndarray) -> np.ndarray:
    """The face's own axes as matrix columns (right, down, away), in landmark coordinates.

    Right is the mean of the mirrored pairs' differences, so it needs no template. Down follows
    the forehead-to-chin line, which MediaPipe's canonical face holds vertical to within a
    degree when frontal.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    right = np.mean([lm[b] - lm[a] for a, b in SYMMETRIC_PAIRS], axis=0)
    right /= np.linalg.norm(right)
    down = lm[CHIN] - lm[FOREHEAD]
    down -= right * (down @ right)
    down /= np.linalg.norm(down)
    away = np.cross(right, down)
    return np.stack([right, down, away], axis=1)


def absolute_pose(landmarks: np.ndarray) -> tuple[float, float, float]:
    """The portrait's own (yaw, pitch, roll) in degrees; (0, 0, 0) is a frontal, upright face."""
    return angles_from_matrix(face_axes(landmarks))


def _distance(lm: np.ndarray, a: int, b: int) -> float:
    return float(np.linalg.norm(lm[a, :2] - lm[b, :2]))


def eye_openness(landmarks: np.ndarray) -> tuple[float, float]:
    """(left, right) lid gap over eye width for the subject's eyes: about 0.25-0.35 open, < 0.1 shut."""
    lm = np.asarray(landmarks, dtype=np.float64)

    def openness(corners: tuple[int, int], lids: tuple[tuple[int, int], ...]) -> float:
        gap = np.mean([_distance(lm, upper, lower) for upper, lower in lids])
        return float(gap / max(_distance(lm, *corners), 1e-6))

    return openness(LEFT_EYE_CORNERS, LEFT_EYE_LIDS), openness(RIGHT_EYE_CORNERS, RIGHT_EYE_LIDS)


def mouth_openness(landmarks: np.ndarray) -> float:
    """Inner lip gap over mouth width: about 0 closed, 0.3 and more wide open."""
    lm = np.asarray(landmarks, dtype=np.float64)
    gap = np.mean([_distance(lm, upper, lower) for upper, lower in INNER_LIPS])
    return float(gap / max(_distance(lm, *MOUTH_CORNERS), 1e-6))


def iris_offset(landmarks: np.ndarray) -> tuple[float, float]:
    """Mean iris offset from the eye-corner midpoint, in eye widths: (x > 0 to the viewer's right,
    y > 0 up), the directions of gaze_yaw and gaze_pitch.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    offsets = []
    for corners, iris in ((RIGHT_EYE_CORNERS, RIGHT_IRIS), (LEFT_EYE_CORNERS, LEFT_IRIS)):
        centre = (lm[corners[0], :2] + lm[corners[1], :2]) / 2
        offsets.append((lm[iris, :2] - centre) / max(_distance(lm, *corners), 1e-6))
    x, y = np.mean(offsets, axis=0)
    return float(x), float(-y)


def landmarks_to_pixels(face, width: int, height: int) -> np.ndarray:
    """MediaPipe's normalised landmarks as 478 x 3 float32 pixels (z scaled by the width, like x)."""
    return np.array(
        [(p.x * width, p.y * height, p.z * width) for p in face.landmark], dtype=np.float32
    )


def face_area(landmarks: np.ndarray) -> float:
    """Bounding-box area of a face in pixels: how "largest face" is decided."""
    x0, y0 = landmarks[:, :2].min(axis=0)
    x1, y1 = landmarks[:, :2].max(axis=0)
    return float((x1 - x0) * (y1 - y0))


def detect_faces(image_rgb: np.ndarray) -> list[np.ndarray]:
    """All faces (up to five) as 478 x 3 pixel landmark arrays, largest first; [] if none.

    One FaceMesh is kept for the process (building it costs more than a detection); MediaPipe
    graphs are not thread-safe, hence the lock.
    """
    global _face_mesh

    image = np.ascontiguousarray(image_rgb, dtype=np.uint8)
    height, width = image.shape[:2]
    with _face_mesh_lock, quiet_native_logs():
        if _face_mesh is None:
            _face_mesh = solutions().face_mesh.FaceMesh(
                static_image_mode=True, refine_landmarks=True, max_num_faces=5
            )
        result = _face_mesh.process(image)
    faces = [landmarks_to_pixels(f, width, height) for f in result.multi_face_landmarks or ()]
    return sorted(faces, key=face_area, reverse=True)


def detect_landmarks(image_rgb: np.ndarray) -> np.ndarray | None:
    """478 x 3 pixel landmarks of the largest face in an RGB uint8 image, or None if no face."""
    faces = detect_faces(image_rgb)
    return faces[0] if faces else None
