"""Property-based fuzzing of the project loader (issue 13), seeded from real projects.

Every document, generated or mutated from `studio init` output, the bundled sample and the
documented example, either loads into a project that conditions, renders (first and last frame,
mesh renderer), saves, and reloads to the same bytes, or is refused with one InputError line that
names the file and, for content, the key path. Bounded to about 30 s in `make test`.
"""

from __future__ import annotations

import copy
import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from studio.doc.errors import InputError
from studio.doc.io import dumps, loads
from studio.doc.project import Project
from studio.resources import SAMPLES_DIR

ROOT = Path(__file__).resolve().parent.parent
PHRASE = ROOT / "tests" / "data" / "audio" / "phrase.wav"
SOURCE = "fuzz.json"


class Raw:
    """A token written into the text as is: 1e400, a 500-digit integer, deep nesting."""

    def __init__(self, text: str) -> None:
        self.text = text


class Pairs(list):
    """An object written with its pairs as they are, duplicate keys included."""


def to_text(value) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Pairs):
        return "{" + ", ".join(f"{json.dumps(k)}: {to_text(v)}" for k, v in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {to_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_text(v) for v in value) + "]"
    return json.dumps(value)


def seeds(tmp: Path) -> list[dict]:
    from studio.cli import main

    init = tmp / "init.json"
    assert main(["init", str(SAMPLES_DIR / "portrait.jpg"), str(PHRASE), "-o", str(init),
                 "--seed", "5", "--emotion", "happy:0.5"]) == 0
    doc = (ROOT / "docs" / "project-format.md").read_text()
    example = doc.split("## Full example", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    return [json.loads(init.read_text()),
            json.loads((SAMPLES_DIR / "sample-project.json").read_text()),
            json.loads(example)]


def paths_of(value, here=()) -> list[tuple]:
    found = [here]
    if isinstance(value, dict):
        for name, child in value.items():
            found += paths_of(child, here + (name,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += paths_of(child, here + (i,))
    return found


NASTY_NUMBERS = [Raw("1e400"), Raw("-1e400"), Raw("1" + "0" * 400), Raw("-" + "9" * 40),
                 1e300, -1e300, 2**63, 2**63 - 1, 2**64, -1, 0, 0.0, -0.0, 1e-7, 4e-7, 5e-7,
                 86400, 86400.0000004, 86400.000001, 90, 90.0000004, -90.0000006, 120, 121,
                 0.5, 3.0, 512.0, 1024, 1026, 64, 62, 2, 1.0000001, True, False]
NASTY_TEXT = ["", "\ud800", "caf\udce9", "a\nb", "\u0000", "../../etc/passwd", "/dev/zero",
              "tiny", "neutral", "x.json", "AI", "rest", "ZZ", "smooth", "cubic", "user", "auto",
              "\u202e", "😀", "mesh", "diffusion", "signal"]

leaf = st.one_of(
    st.sampled_from(NASTY_NUMBERS),
    st.sampled_from(NASTY_TEXT),
    st.none(),
    st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-100, max_value=200),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=8),
)
value = st.recursive(leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["t", "v", "interp", "keys", "default", "duration",
                                     "start", "end", "viseme", "source", "x"]), inner,
                    max_size=4)), max_leaves=6)
deep = st.integers(min_value=5, max_value=3000).map(lambda n: Raw("[" * n + "]" * n))


@st.composite
def mutated(draw, documents):
    data = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        paths = paths_of(data)
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(["replace", "replace", "nudge", "delete", "add", "dup"]))
        if not path:
            if kind == "dup" and isinstance(data, dict) and data:
                name = draw(st.sampled_from(sorted(data)))
                data = Pairs(list(data.items()) + [(name, draw(value))])
            continue
        *parents, last = path
        node = data
        for part in parents:
            node = node[part] if not isinstance(node, Pairs) else dict(node)[part]
        if isinstance(node, Pairs):
            continue
        if kind == "replace":
            node[last] = draw(st.one_of(value, deep))
        elif kind == "nudge" and isinstance(node[last], (int, float)):
            node[last] = draw(st.sampled_from(NASTY_NUMBERS + [node[last] * 10, -node[last],
                                                               node[last] + 1e-7]))
        elif kind == "delete":
            del node[last]
        elif kind == "add" and isinstance(node, dict):
            node[draw(st.sampled_from(["t", "seed", "colour", "head_yawn", "\ud800", "a\nb"]))] \
                = draw(value)
        elif kind == "dup" and isinstance(node, dict):
            node_pairs = Pairs(list(node.items()) + [(last, draw(value))])
            if parents:
                parent = data
                for part in parents[:-1]:
                    parent = parent[part]
                parent[parents[-1]] = node_pairs
            else:
                data = node_pairs
    return to_text(data)


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    return seeds(tmp_path_factory.mktemp("fuzz-seeds"))


@lru_cache(maxsize=None)
def analysis_at(fps: int):
    from studio.engine import analyze

    return analyze(Project(portrait=str(SAMPLES_DIR / "portrait.jpg"), audio=str(PHRASE),
                           fps=fps, lipsync="signal"))


@lru_cache(maxsize=8)
def renderer_at(width: int, height: int):
    from studio.engine import prepare_renderer

    return prepare_renderer(Project(width=width, height=height), analysis_at(25).rig)


def renders(project: Project) -> None:
    """Conditions the whole clip and renders its first and last frames."""
    from studio.engine import controls_for
    from studio.render.diffusion.manifests import load_preset
    from studio.render.registry import settings_of

    if project.render.renderer == "diffusion":
        load_preset(settings_of(project.render)["model"])  # a name, never a path
    analysis = analysis_at(project.fps)
    controls = controls_for(project, analysis)
    assert len(controls) == math.ceil(round(analysis.duration * project.fps, 6))
    renderer = renderer_at(project.width, project.height)
    for index in (0, len(controls) - 1):
        frame = renderer.render(controls.frame(index))
        assert frame.shape == (project.height, project.width, 3)
        assert np.isfinite(frame).all()


def check(text: str, base: Path) -> str:
    from studio.render.registry import check_render_settings

    try:
        project = loads(text, base, SOURCE)
        check_render_settings(project.render, SOURCE)  # as the studio and the command line do
    except InputError as error:
        message = str(error)
        assert "\n" not in message and "\r" not in message, message
        message.encode("utf-8")
        assert message.startswith(f"{SOURCE}: "), message
        return "refused"
    try:
        renders(project)
    except InputError as error:  # only what a file cannot say: a preset file or model missing
        assert project.style_preset.endswith(".json") or project.render.renderer == "diffusion"
        assert "\n" not in str(error)
    saved = dumps(project, base)
    again = dumps(loads(saved, base, "saved.json"), base)
    assert again == saved
    return "loaded"


@pytest.mark.timeout(360)  # about 26 s on an idle machine; over 120 s at a load of 12
def test_every_document_loads_renders_and_round_trips_or_is_refused_in_one_line(
        documents, tmp_path, monkeypatch, tmp_path_factory):
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "fuzz-cache"))
    outcomes = []

    @seed(13)
    @settings(max_examples=1200, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(mutated(documents))
    def run(text):
        outcomes.append(check(text, tmp_path))

    for document in documents:  # the seeds themselves load and round-trip
        assert check(json.dumps(document), tmp_path) == "loaded"
    run()
    assert "loaded" in outcomes and "refused" in outcomes
