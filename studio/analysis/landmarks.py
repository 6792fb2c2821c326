"""Named MediaPipe FaceMesh landmark groups: the ones the mesh renderer moves and the ones
analysis/pose.py measures, one table for both.

Indices follow MediaPipe's face-mesh annotations. Sides are the subject's: the "right" eye holds
landmark 33 and appears on the viewer's left, so it is driven by ARKit's ...Right coefficients
(ARKit, like MediaPipe's canonical face, names sides for the subject).
"""

from __future__ import annotations

LIPS_UPPER_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_LOWER_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
# Inner contours run corner to corner, so upper[i] faces lower[i] across the mouth opening.
LIPS_UPPER_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_LOWER_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
MOUTH_CORNERS = (61, 291)  # subject's right, left
INNER_MOUTH_CORNERS = (78, 308)

# Lid contours run from the outer to the inner corner; upper[i] faces lower[i].
RIGHT_EYE_UPPER = (246, 161, 160, 159, 158, 157, 173)
RIGHT_EYE_LOWER = (7, 163, 144, 145, 153, 154, 155)
RIGHT_EYE_CORNERS = (33, 133)
RIGHT_EYE_CREASE = (247, 30, 29, 27, 28, 56, 190)  # the ring above the upper lid
RIGHT_EYE_FOLD = (113, 225, 224, 223, 222, 221, 189)  # the ring below the brow
RIGHT_EYE_UNDER = (130, 25, 110, 24, 23, 22, 26, 112, 243)  # the ring below the lower lid
LEFT_EYE_UPPER = (466, 388, 387, 386, 385, 384, 398)
LEFT_EYE_LOWER = (249, 390, 373, 374, 380, 381, 382)
LEFT_EYE_CORNERS = (263, 362)
LEFT_EYE_CREASE = (467, 260, 259, 257, 258, 286, 414)
LEFT_EYE_FOLD = (342, 445, 444, 443, 442, 441, 413)
LEFT_EYE_UNDER = (359, 255, 339, 254, 253, 252, 256, 341, 463)

RIGHT_IRIS = (468, 469, 470, 471, 472)  # centre first
LEFT_IRIS = (473, 474, 475, 476, 477)

RIGHT_BROW_INNER, RIGHT_BROW_MID, RIGHT_BROW_OUTER = 107, 105, 70
LEFT_BROW_INNER, LEFT_BROW_MID, LEFT_BROW_OUTER = 336, 334, 300
RIGHT_NOSE_WING, LEFT_NOSE_WING = 129, 358

FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)
FACE_SIDES = (234, 454)  # subject's right, left cheek edge: the face width
FOREHEAD, CHIN = 10, 152
