"""The face-mesh control image, drawn the way MediaPipe-face ControlNets were trained to read it.

CrucibleAI's ControlNetMediaPipeFace (and the laion-face annotator it was trained with) draws the
FaceMesh contour connections on black, 2 px wide, one colour per feature, plus a small square on
each pupil. The connection lists and colours are copied here from mediapipe 0.10.21
(`solutions.face_mesh_connections`) and that annotator, so drawing needs neither mediapipe (absent
on GPU machines) nor a face detector: the landmarks come from the re-posed rig.
"""

from __future__ import annotations

import numpy as np

FACE_OVAL = (
    (10, 338), (21, 54), (54, 103), (58, 132), (67, 109), (93, 234), (103, 67), (109, 10),
    (127, 162), (132, 93), (136, 172), (148, 176), (149, 150), (150, 136), (152, 148), (162, 21),
    (172, 58), (176, 149), (234, 127), (251, 389), (284, 251), (288, 397), (297, 332), (323, 361),
    (332, 284), (338, 297), (356, 454), (361, 288), (365, 379), (377, 152), (378, 400), (379, 378),
    (389, 356), (397, 365), (400, 377), (454, 323),
)
LEFT_EYE = (
    (249, 390), (263, 249), (263, 466), (373, 374), (374, 380), (380, 381), (381, 382), (382, 362),
    (384, 398), (385, 384), (386, 385), (387, 386), (388, 387), (390, 373), (398, 362), (466, 388),
)
LEFT_EYEBROW = (
    (276, 283), (282, 295), (283, 282), (293, 334), (295, 285), (296, 336), (300, 293), (334, 296),
)
LEFT_IRIS = ((474, 475), (475, 476), (476, 477), (477, 474))
RIGHT_EYE = (
    (7, 163), (33, 7), (33, 246), (144, 145), (145, 153), (153, 154), (154, 155), (155, 133),
    (157, 173), (158, 157), (159, 158), (160, 159), (161, 160), (163, 144), (173, 133), (246, 161),
)
RIGHT_EYEBROW = (
    (46, 53), (52, 65), (53, 52), (63, 105), (65, 55), (66, 107), (70, 63), (105, 66),
)
RIGHT_IRIS = ((469, 470), (470, 471), (471, 472), (472, 469))
LIPS = (
    (0, 267), (13, 312), (14, 317), (17, 314), (37, 0), (39, 37), (40, 39), (61, 146), (61, 185),
    (78, 95), (78, 191), (80, 81), (81, 82), (82, 13), (84, 17), (87, 14), (88, 178), (91, 181),
    (95, 88), (146, 91), (178, 87), (181, 84), (185, 40), (191, 80), (267, 269), (269, 270),
    (270, 409), (310, 415), (311, 310), (312, 311), (314, 405), (317, 402), (318, 324), (321, 375),
    (324, 308), (375, 291), (402, 318), (405, 321), (409, 291), (415, 308),
)

# (connections, RGB colour) in the annotator's drawing order; "left" is the subject's left.
FEATURES: tuple[tuple[tuple[tuple[int, int], ...], tuple[int, int, int]], ...] = (
    (FACE_OVAL, (10, 200, 10)),
    (LEFT_EYE, (180, 200, 10)),
    (LEFT_EYEBROW, (180, 220, 10)),
    (RIGHT_EYE, (10, 200, 180)),
    (RIGHT_EYEBROW, (10, 220, 180)),
    (LIPS, (10, 180, 10)),
    (LEFT_IRIS, (250, 200, 10)),
    (RIGHT_IRIS, (10, 200, 250)),
)
PUPILS: tuple[tuple[int, tuple[int, int, int]], ...] = ((468, (10, 200, 250)), (473, (250, 200, 10)))
THICKNESS = 2
PUPIL_HALF_WIDTH = 2


def draw_control_image(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    """H x W x 3 uint8: contours of the posed face on black."""
    import cv2

    if landmarks.shape[0] < 478:
        raise ValueError(f"need 478 FaceMesh landmarks (with irises), got {landmarks.shape[0]}")
    image = np.zeros((height, width, 3), np.uint8)
    # Hard 8-connected lines as the annotator drew them (no anti-aliasing: the ControlNet saw
    # exact colours); sub-pixel endpoints (shift=4) keep slow motion from snapping to pixels.
    points = np.round(np.asarray(landmarks[:, :2], np.float64) * 16).astype(np.int64)
    for connections, colour in FEATURES:
        for a, b in connections:
            cv2.line(image, tuple(points[a]), tuple(points[b]), colour, THICKNESS, cv2.LINE_8, shift=4)
    for index, colour in PUPILS:
        x, y = np.round(landmarks[index, :2]).astype(int)
        image[max(y - PUPIL_HALF_WIDTH, 0):max(y + PUPIL_HALF_WIDTH, 0),
              max(x - PUPIL_HALF_WIDTH, 0):max(x + PUPIL_HALF_WIDTH, 0)] = colour
    return image
