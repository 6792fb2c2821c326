"""studio.analysis.dsp gives scipy.signal's results without importing it (a second of start-up)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d
from scipy.signal import butter, sosfiltfilt
from scipy.signal import find_peaks as scipy_find_peaks

from studio.analysis.dsp import find_peaks, lowpass


@pytest.mark.parametrize("frames, cutoff", [(2000, 0.35), (3000, 2.0), (40, 4.0), (17, 1.0)])
def test_lowpass_is_scipys_zero_phase_butterworth(frames, cutoff):
    x = np.random.default_rng(frames).standard_normal((frames, 5))
    padlen = min(frames - 1, 3 * int(100 / cutoff))
    expected = sosfiltfilt(butter(2, cutoff / 50, output="sos"), x, axis=0, padlen=padlen)
    np.testing.assert_allclose(lowpass(x, cutoff, 100, padlen), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(lowpass(x[:, 2], cutoff, 100, padlen), expected[:, 2], atol=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_find_peaks_is_scipys_with_distance_and_prominence(seed):
    rng = np.random.default_rng(seed)
    envelope = gaussian_filter1d(np.clip(rng.standard_normal(3000), 0, None), 3)
    envelope[100:110] = envelope[100]  # a flat top
    envelope[500:520] = envelope[:20].max() + 1.0
    expected, props = scipy_find_peaks(envelope, prominence=0.08, distance=12)
    peaks, prominences = find_peaks(envelope, prominence=0.08, distance=12)
    np.testing.assert_array_equal(peaks, expected)
    np.testing.assert_allclose(prominences, props["prominences"])


def test_the_voice_analysis_does_not_import_scipy_signal(speech_path):
    code = ("import sys; from studio.analysis.speech import analyze_performance; "
            f"analyze_performance({str(speech_path)!r}, 25); "
            "print('scipy.signal' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
