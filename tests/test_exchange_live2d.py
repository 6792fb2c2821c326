"""Live2D motion3.json, checked against Live2D's published specification (CubismSpecs:
FileFormats/motion3.json.md and Schemas/motion3.schema.json) with a reader written here from
that text: structure, Meta's counts, and every curve evaluated against the parameters."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest

from exchange_helpers import controls_of, sample_project
from studio.exchange import live2d
from studio.exchange.exports import audio_analysis, export_performance

# The published schema's structure (draft "http://json-schema.org/schema#"), restated.
_NUMBER = {"type": "number"}
SCHEMA = {
    "type": "object",
    "required": ["Version", "Meta", "Curves"],
    "additionalProperties": False,
    "properties": {
        "Version": _NUMBER,
        "Meta": {
            "type": "object",
            "required": ["Duration", "Fps", "CurveCount", "TotalSegmentCount", "TotalPointCount"],
            "additionalProperties": False,
            "properties": {
                **{k: _NUMBER for k in ("Duration", "Fps", "FadeInTime", "FadeOutTime",
                                        "CurveCount", "TotalSegmentCount", "TotalPointCount",
                                        "UserDataCount", "TotalUserDataSize")},
                "Loop": {"type": "boolean"}, "AreBeziersRestricted": {"type": "boolean"},
            },
        },
        "Curves": {"type": "array", "items": {
            "type": "object", "required": ["Target", "Id", "Segments"],
            "additionalProperties": False,
            "properties": {"Target": {"type": "string"}, "Id": {"type": "string"},
                           "FadeInTime": _NUMBER, "FadeOutTime": _NUMBER,
                           "Segments": {"type": "array", "items": _NUMBER}}}},
        "UserData": {"type": "array", "items": {
            "type": "object", "required": ["Time", "Value"], "additionalProperties": False,
            "properties": {"Time": _NUMBER, "Value": {"type": "string"}}}},
    },
}
LINEAR, BEZIER, STEPPED, INVERSE_STEPPED = 0, 1, 2, 3


def parse_segments(flat: list[float]) -> list[tuple[int, list[tuple[float, float]]]]:
    """The spec's encoding: the first point, then per segment its identifier and 1 point (3
    for a bezier); each segment starts at the point before its identifier."""
    assert len(flat) >= 2, "curves can't be empty"
    last = (flat[0], flat[1])
    out, i = [], 2
    while i < len(flat):
        kind = int(flat[i])
        n = 3 if kind == BEZIER else 1
        assert kind in (LINEAR, BEZIER, STEPPED, INVERSE_STEPPED)
        pts = [(flat[i + 1 + 2 * k], flat[i + 2 + 2 * k]) for k in range(n)]
        assert i + 1 + 2 * n <= len(flat)
        out.append((kind, [last] + pts))
        last = pts[-1]
        i += 1 + 2 * n
    return out


def evaluate(segments, first: tuple[float, float], t: float) -> float:
    if not segments or t <= first[0]:
        return first[1]
    for kind, pts in segments:
        (t0, v0), (t1, v1) = pts[0], pts[-1]
        if t <= t1:
            if kind == LINEAR:
                return v0 + (v1 - v0) * (t - t0) / (t1 - t0)
            if kind == STEPPED:
                return v0
            if kind == INVERSE_STEPPED:
                return v1
            s = (t - t0) / (t1 - t0)  # bezier, x fixed at thirds
            ys = [p[1] for p in pts]
            return ((1 - s) ** 3 * ys[0] + 3 * (1 - s) ** 2 * s * ys[1]
                    + 3 * (1 - s) * s ** 2 * ys[2] + s ** 3 * ys[3])
    return segments[-1][1][-1][1]


def test_the_spec_example_parses():
    example = {"Version": 3, "Meta": {"Duration": 1, "Fps": 120, "CurveCount": 1,
                                      "TotalSegmentCount": 1, "TotalPointCount": 2},
               "Curves": [{"Target": "Model", "Id": "Opacity", "Segments": [0, 0, 0, 1, 1]}]}
    jsonschema.validate(example, SCHEMA)
    segs = parse_segments(example["Curves"][0]["Segments"])
    assert segs == [(LINEAR, [(0, 0), (1, 1)])]
    assert evaluate(segs, (0, 0), 0.25) == 0.25


@pytest.fixture(scope="module")
def motion(tmp_path_factory):
    project = sample_project()
    analysis = audio_analysis(project)
    controls = controls_of(project, analysis)
    path = tmp_path_factory.mktemp("live2d") / "talk.motion3.json"
    export_performance(project, [(path, None)], analysis=analysis, controls=controls)
    return json.loads(path.read_text()), controls


def test_structure_and_counts(motion):
    data, controls = motion
    jsonschema.validate(data, SCHEMA)
    meta, curves = data["Meta"], data["Curves"]
    assert data["Version"] == 3 and meta["Fps"] == 25 and meta["Loop"] is False
    assert meta["Duration"] == pytest.approx(len(controls) / 25)
    assert meta["CurveCount"] == len(curves) == len(live2d.PARAMETERS)
    parsed = [parse_segments(c["Segments"]) for c in curves]
    assert meta["TotalSegmentCount"] == sum(len(p) for p in parsed)
    assert meta["TotalPointCount"] == sum(1 + sum(3 if k == BEZIER else 1 for k, _ in p)
                                          for p in parsed)
    assert meta["UserDataCount"] == 0 == meta["TotalUserDataSize"] and "UserData" not in data
    assert {c["Id"] for c in curves} == {
        "ParamAngleX", "ParamAngleY", "ParamAngleZ", "ParamEyeLOpen", "ParamEyeROpen",
        "ParamMouthOpenY", "ParamMouthForm", "ParamEyeBallX", "ParamEyeBallY", "ParamBrowLY",
        "ParamBrowRY"}
    assert all(c["Target"] == "Parameter" for c in curves)
    for p in parsed:
        times = [pts[-1][0] for _, pts in p]
        assert times == sorted(times) and times[-1] <= meta["Duration"]


def test_curves_reproduce_the_parameters(motion):
    data, controls = motion
    expected = live2d.parameters(controls.arrays())
    for curve in data["Curves"]:
        flat = curve["Segments"]
        segs = parse_segments(flat)
        got = np.array([evaluate(segs, (flat[0], flat[1]), t) for t in controls.t])
        want = expected[curve["Id"]]
        assert np.abs(got - want).max() <= live2d.PARAMETERS[curve["Id"]] + 2e-4, curve["Id"]
        assert len(segs) < len(controls)  # thinned
    mouth = expected["ParamMouthOpenY"]
    assert mouth.max() > 0.5 and mouth.min() == 0  # the voice opens and closes the mouth
    assert expected["ParamEyeLOpen"].min() == pytest.approx(0.0)  # a blink shuts the eye
