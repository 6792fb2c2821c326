"""Portrait photo -> FaceRig: everything the renderers need, computed once per image.

The face comes from MediaPipe FaceMesh (478 landmarks with irises), the person from MediaPipe
selfie segmentation, and the background behind the person from an inpainted clean plate that
the renderer shows where a turning head uncovers it. Results are cached by the hash of the
decoded pixels, so reopening a project skips all of it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from studio.analysis import cache
from studio.analysis.face_rig import FaceRig
from studio.analysis.image_io import load_image
from studio.analysis.mediapipe_solutions import solutions
from studio.analysis.native_logs import quiet_native_logs
from studio.analysis.pose import absolute_pose, detect_faces, face_area
from studio.doc.errors import InputError

# Narrower faces have too few pixels per landmark triangle: lips and eyes turn to mush when
# re-posed and the landmarks jitter.
MIN_FACE_WIDTH = 64
# Padding (as a fraction of each side) for the retry that finds faces filling the whole frame.
RETRY_PAD = 0.3
# Long side at which the clean plate is inpainted: inpainting cost grows with the hole's area,
# and the uncovered background is seen blurred at the head's edge anyway.
PLATE_SIDE = 384
# The plate keeps the photo where the mask is below the first value (background) and takes the
# fill from the second up.
PLATE_MASK_RAMP = (0.2, 0.5)
# Push-pull: a pyramid level keeps its own average where at least 1 / PULL_TRUST of its area is
# known background; higher keeps the fill closer to the nearest background colours.
PULL_TRUST = 8.0
# Long side at which the person mask is refined against the photo's edges.
FILTER_SIDE = 1024
SEGMENT_SIDE = 512

_segmenter = None
_detector = None
_models_lock = threading.Lock()


def analyze_portrait(path: str | Path, *, cache_dir: str | Path | None = None) -> FaceRig:
    """Analyse a portrait (or fetch its cached analysis). Raises InputError for unusable images."""
    # 1. decode and look up the cache
    path = Path(path)
    rgb, alpha = load_image(path)
    key = cache.image_hash(rgb, alpha)
    directory = Path(cache_dir) if cache_dir is not None else cache.default_cache_dir()
    entry = cache.load_entry(directory, key)
    if entry is not None and _entry_fits(entry, rgb):
        return _rig_from_entry(entry, rgb, alpha, key, path)

    # 2. find the faces and pick the largest
    faces = find_faces(rgb)
    if not faces:
        raise InputError(
            f"no face found in {path.name}: use a photo with one clearly visible face"
        )
    landmarks = faces[0]
    face_box = _face_box(landmarks, rgb.shape)
    width = face_box[2] - face_box[0]
    if width < MIN_FACE_WIDTH:
        raise InputError(
            f"the face in {path.name} is too small to animate ({width} pixels wide, needs at "
            f"least {MIN_FACE_WIDTH}): crop the photo closer to the face or use a larger one"
        )

    # 3. person mask and clean plate
    mask = person_mask(rgb, landmarks, alpha)
    plate = clean_plate(rgb, mask)

    rig = FaceRig(
        image=rgb,
        landmarks=landmarks.astype(np.float32),
        mask=mask,
        clean_plate=plate,
        pose=absolute_pose(landmarks),
        face_box=face_box,
        faces_found=len(faces),
        image_hash=key,
        source=str(path),
        alpha=alpha,
    )
    cache.save_entry(directory, key, _entry_from_rig(rig))
    return rig


def faces_notice(rig: FaceRig) -> str | None:
    """The line to show when a photo has several faces (the CLI prints it, the app shows it)."""
    if rig.faces_found < 2:
        return None
    return f"found {rig.faces_found} faces in {Path(rig.source).name}; animating the largest"


def find_faces(rgb: np.ndarray) -> list[np.ndarray]:
    """Landmarks of every face found, largest first.

    FaceMesh's own detector is a short-range model that sees the image at 128 x 128, so faces
    that are small in the frame (group photos, big photos) slip through it. MediaPipe's
    full-range detector counts those; each of its boxes is then cropped and meshed on its own.
    Faces that fill the whole frame defeat both detectors: a padded copy is tried last.
    """
    faces = detect_faces(rgb)
    boxes = _full_range_boxes(rgb)
    if len(boxes) > len(faces):
        cropped = []
        for x0, y0, x1, y1 in boxes:
            found = detect_faces(rgb[y0:y1, x0:x1])
            if found:
                cropped.append(found[0] + np.array([x0, y0, 0], dtype=np.float32))
        if len(cropped) > len(faces):
            faces = cropped
    if not faces:
        height, width = rgb.shape[:2]
        pad_y, pad_x = round(height * RETRY_PAD), round(width * RETRY_PAD)
        padded = np.pad(rgb, ((pad_y, pad_y), (pad_x, pad_x), (0, 0)), mode="edge")
        offset = np.array([pad_x, pad_y, 0], dtype=np.float32)
        faces = [f - offset for f in detect_faces(padded)]
    return sorted(faces, key=face_area, reverse=True)


def _full_range_boxes(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Face boxes from the full-range detector, enlarged so each crop frames its face loosely."""
    global _detector

    height, width = rgb.shape[:2]
    with _models_lock, quiet_native_logs():
        if _detector is None:
            _detector = solutions().face_detection.FaceDetection(
                model_selection=1, min_detection_confidence=0.5
            )
        result = _detector.process(np.ascontiguousarray(rgb))
    boxes = []
    for detection in result.detections or ():
        box = detection.location_data.relative_bounding_box
        cx, cy = (box.xmin + box.width / 2) * width, (box.ymin + box.height / 2) * height
        half = max(box.width * width, box.height * height) * 1.2
        x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
        x1, y1 = min(width, int(cx + half)), min(height, int(cy + half))
        if x1 - x0 > 8 and y1 - y0 > 8:
            boxes.append((x0, y0, x1, y1))
    return boxes


def person_mask(rgb: np.ndarray, landmarks: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Soft person mask (H x W float32, 0..1) that always covers the face and the hair above it.

    Selfie segmentation runs at 256 x 256 and can miss hair or a dark shoulder; a guided filter
    snaps its soft edge to the photo's edges, and a region around the face (raised to take in
    the hair) is forced in, because a face outside the mask would tear when the head turns.
    """
    global _segmenter
    import cv2

    height, width = rgb.shape[:2]
    # The segmentation model sees 256 x 256 whatever it is given, and the guided filter gains
    # nothing above FILTER_SIDE from a mask that coarse: both run on reduced copies, which
    # saves most of a second on a 2048-pixel photo.
    segment_input = _fit(rgb, SEGMENT_SIDE)
    with _models_lock, quiet_native_logs():
        if _segmenter is None:
            _segmenter = solutions().selfie_segmentation.SelfieSegmentation(model_selection=0)
        raw = _segmenter.process(segment_input).segmentation_mask
    mask = np.clip(np.asarray(raw, dtype=np.float32), 0.0, 1.0)

    guide = _fit(rgb, FILTER_SIDE).astype(np.float32) / 255.0
    size = (guide.shape[1], guide.shape[0])
    mask = cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR)
    mask = cv2.ximgproc.guidedFilter(guide, mask, max(4, round(max(size) / 128)), 1e-3)
    mask = cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)

    head = _head_region(landmarks, (height, width))
    mask = np.maximum(mask, head)
    if alpha is not None:
        mask = np.minimum(mask, alpha.astype(np.float32) / 255.0)
    # 8-bit steps: finer than any edge can show, and the cache stores it in a quarter the space.
    return (np.rint(np.clip(mask, 0.0, 1.0) * 255.0) / 255.0).astype(np.float32)


def _fit(rgb: np.ndarray, side: int) -> np.ndarray:
    """A contiguous copy of rgb with its long side reduced to at most `side` pixels."""
    import cv2

    height, width = rgb.shape[:2]
    scale = min(1.0, side / max(height, width))
    if scale == 1.0:
        return np.ascontiguousarray(rgb)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def _head_region(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The face's convex hull with its upper half stretched up over the hair, feathered."""
    import cv2

    points = landmarks[:, :2].astype(np.float64).copy()
    top, bottom = points[:, 1].min(), points[:, 1].max()
    centre_y = (top + bottom) / 2
    upper = points[:, 1] < centre_y
    points[upper, 1] -= (centre_y - points[upper, 1]) * 0.35
    hull = cv2.convexHull(np.round(points).astype(np.int32))
    region = np.zeros(shape, dtype=np.uint8)
    cv2.fillConvexPoly(region, hull, 255)
    feather = max(3, round((bottom - top) * 0.05)) | 1
    region = cv2.GaussianBlur(region, (feather, feather), 0).astype(np.float32) / 255.0
    # Keep the hull itself fully inside after feathering.
    cv2.fillConvexPoly(region, hull, 1.0)
    return region


def clean_plate(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The background with the person removed: filled at reduced size, pasted in softly.

    The hole (the person, grown a little so the fill takes no colour from the person's fringe)
    is filled by push-pull: the known background averaged down a pyramid and interpolated back
    up, a smooth continuation of the surrounding colours. Line-by-line inpainting (Telea,
    Navier-Stokes) drags the hole's edge colours across it in streaks, which a turning head
    uncovers as smears; exemplar inpainting (FSR) takes seconds and invents shapes. Pixels the
    mask calls background keep the photo's own values, so background stays exactly still.
    """
    import cv2

    height, width = rgb.shape[:2]
    small = _fit(rgb, PLATE_SIDE)
    size = (small.shape[1], small.shape[0])
    small_mask = cv2.resize(mask, size, interpolation=cv2.INTER_AREA)
    grow = max(2, round(max(size) * 0.02))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    hole = cv2.dilate((small_mask > 0.1).astype(np.uint8) * 255, kernel)
    if not hole.any():
        return rgb.copy()
    filled = _push_pull(small, hole == 0)

    blend = cv2.GaussianBlur(hole, (0, 0), grow / 2)
    blend = np.maximum(blend, hole)
    blend = cv2.resize(blend, (width, height), interpolation=cv2.INTER_LINEAR)
    blend = blend.astype(np.float32) / 255.0 * np.clip((mask - PLATE_MASK_RAMP[0]) / (PLATE_MASK_RAMP[1] - PLATE_MASK_RAMP[0]), 0.0, 1.0)
    filled = cv2.resize(filled, (width, height), interpolation=cv2.INTER_CUBIC)
    return cv2.blendLinear(filled, np.ascontiguousarray(rgb), blend, 1.0 - blend)


def _push_pull(rgb: np.ndarray, known: np.ndarray) -> np.ndarray:
    """rgb with the pixels where `known` is False filled smoothly from the known ones."""
    import cv2

    # 1. push: weighted colour and weight averaged down a pyramid
    weight = known.astype(np.float32)
    levels = [(rgb.astype(np.float32) * weight[..., None], weight)]
    while min(levels[-1][1].shape) > 2:
        colour, w = levels[-1]
        size = (max(1, (w.shape[1] + 1) // 2), max(1, (w.shape[0] + 1) // 2))
        levels.append((cv2.resize(colour, size, interpolation=cv2.INTER_AREA),
                       cv2.resize(w, size, interpolation=cv2.INTER_AREA)))
    # 2. pull: each level's own average where it has enough weight, the coarser fill elsewhere
    colour, w = levels[-1]
    fill = colour.sum(axis=(0, 1)) / max(float(w.sum()), 1e-6) * np.ones_like(colour)
    fill = np.where(w[..., None] > 1e-6, colour / np.maximum(w, 1e-6)[..., None], fill)
    for colour, w in reversed(levels[:-1]):
        coarse = cv2.resize(fill, (w.shape[1], w.shape[0]), interpolation=cv2.INTER_LINEAR)
        trust = np.clip(w * PULL_TRUST, 0.0, 1.0)[..., None]
        own = colour / np.maximum(w, 1e-6)[..., None]
        fill = trust * own + (1.0 - trust) * coarse
    out = np.where(known[..., None], rgb, np.clip(np.round(fill), 0, 255))
    return out.astype(np.uint8)


def _face_box(landmarks: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    height, width = shape[:2]
    x0, y0 = np.floor(landmarks[:, :2].min(axis=0)).astype(int)
    x1, y1 = np.ceil(landmarks[:, :2].max(axis=0)).astype(int)
    return (
        int(np.clip(x0, 0, width)), int(np.clip(y0, 0, height)),
        int(np.clip(x1, 0, width)), int(np.clip(y1, 0, height)),
    )


def _entry_from_rig(rig: FaceRig) -> dict[str, np.ndarray]:
    return {
        "landmarks": rig.landmarks,
        "mask": np.rint(rig.mask * 255.0).astype(np.uint8),
        "clean_plate": rig.clean_plate,
        "pose": np.array(rig.pose, dtype=np.float64),
        "face_box": np.array(rig.face_box, dtype=np.int64),
        "faces_found": np.array(rig.faces_found, dtype=np.int64),
    }


def _entry_fits(entry: dict[str, np.ndarray], rgb: np.ndarray) -> bool:
    """An entry is used only if it is complete and matches the image it claims to describe."""
    height, width = rgb.shape[:2]
    try:
        return (
            entry["landmarks"].shape == (478, 3)
            and entry["mask"].shape == (height, width)
            and entry["mask"].dtype == np.uint8
            and entry["clean_plate"].shape == rgb.shape
            and entry["pose"].shape == (3,)
            and entry["face_box"].shape == (4,)
            and entry["faces_found"].shape == ()
        )
    except KeyError:
        return False


def _rig_from_entry(
    entry: dict[str, np.ndarray], rgb: np.ndarray, alpha: np.ndarray | None, key: str, path: Path
) -> FaceRig:
    return FaceRig(
        image=rgb,
        landmarks=entry["landmarks"].astype(np.float32),
        mask=entry["mask"].astype(np.float32) / np.float32(255.0),
        clean_plate=entry["clean_plate"].astype(np.uint8),
        pose=tuple(float(v) for v in entry["pose"]),
        face_box=tuple(int(v) for v in entry["face_box"]),
        faces_found=int(entry["faces_found"]),
        image_hash=key,
        source=str(path),
        alpha=alpha,
    )
