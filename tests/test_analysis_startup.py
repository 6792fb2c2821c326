"""Face analysis starts without MediaPipe's matplotlib-based drawing helpers (0.9 s of start-up)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
import numpy as np
from PIL import Image
from studio.analysis.pose import detect_landmarks
landmarks = detect_landmarks(np.asarray(Image.open(sys.argv[1]).convert("RGB")))
print(landmarks.shape, "matplotlib" in sys.modules)
from mediapipe.python.solutions import drawing_utils
print(drawing_utils.DrawingSpec.__name__)
"""


def test_landmarks_without_matplotlib_and_helpers_still_load_on_use(portrait_path):
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(portrait_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["(478, 3) False", "DrawingSpec"]
