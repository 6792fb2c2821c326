"""Project files: round trips, atomic saves, relative paths, migration and clear refusals."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest

from studio.doc import io as doc_io
from studio.doc.errors import InputError
from studio.doc.io import dumps, load_project, save_project
from studio.doc.schema import project_schema
from studio.doc.project import (
    Blink,
    EmotionKey,
    GazeKey,
    Key,
    Project,
    StyleKey,
    VisemeSegment,
)
from studio.resources import SAMPLE_PROJECT
from studio.engine.project_file import load_project as open_project


@pytest.fixture
def project(tmp_path: Path, portrait_path: Path, speech_path: Path) -> Project:
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(portrait_path, media / "portrait.jpg")
    shutil.copy(speech_path, media / "speech.wav")
    p = Project(portrait=str(media / "portrait.jpg"), audio=str(media / "speech.wav"),
                transcript="Hello there.", fps=30, width=640, height=480, seed=7, duration=13.2)
    p.render.renderer = "diffusion"
    p.render.options["diffusion"] = {"steps": 4}
    t = p.tracks
    t.head_yaw.keys = [Key(0.0, 0.0, "smooth"), Key(1.25, 12.5, "ease"), Key(4.0, -3.0, "step")]
    t.head_pitch.keys = [Key(0.5, 4.0, "linear")]
    t.head_roll.keys = [Key(2.0, -6.0)]
    t.blink_rate.keys = [Key(0.0, 10.0), Key(8.0, 30.0)]
    t.blinks = [Blink(1.5, 0.25), Blink(3.033333, 0.183, "auto"), Blink(6.0)]
    t.emotion = [EmotionKey(0.0, "neutral", 0.0), EmotionKey(3.0, "happy", 0.8)]
    t.style = [StyleKey(0.0, lip_amplitude=1.2, head_motion=0.0, expressiveness=0.5)]
    t.gaze = [GazeKey(2.0, yaw=10.0, pitch=-5.0, interp="linear")]
    t.visemes = [VisemeSegment(0.1, 0.3, "AI"), VisemeSegment(0.3, 0.4, "MBP", "user")]
    return p


def write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_round_trip_is_identical(tmp_path, project):
    path = tmp_path / "scene.json"
    save_project(project, path)
    loaded = load_project(path)
    assert loaded == project
    again = tmp_path / "again.json"
    save_project(loaded, again)
    assert again.read_bytes() == path.read_bytes()


def test_saved_file_follows_the_json_schema(tmp_path, project):
    path = tmp_path / "scene.json"
    save_project(project, path)
    data = json.loads(path.read_text())
    schema = project_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    jsonschema.validate(json.loads(dumps(Project())), schema,
                        cls=jsonschema.Draft202012Validator)
    assert data["schema"] == 1


def test_output_is_diff_friendly(tmp_path, project):
    path = tmp_path / "scene.json"
    save_project(project, path)
    text = path.read_text()
    assert text.endswith("}\n")
    assert '        {"t": 1.25, "v": 12.5, "interp": "ease"},\n' in text  # one key per line
    # Moving one key changes one line.
    project.tracks.head_yaw.keys[1].v = 13.0
    save_project(project, tmp_path / "moved.json")
    before, after = text.splitlines(), (tmp_path / "moved.json").read_text().splitlines()
    assert len(before) == len(after)
    assert sum(a != b for a, b in zip(before, after)) == 1


def test_blinks_name_their_source_only_when_automatic(tmp_path, project):
    """The artist's blinks keep the short form they type by hand; automatic ones say so."""
    text = dumps(project)
    assert '      {"t": 1.5, "duration": 0.25},\n' in text
    assert '      {"t": 3.033333, "duration": 0.183, "source": "auto"},\n' in text
    # Deleting one automatic blink is a one-line diff.
    project.tracks.blinks = [b for b in project.tracks.blinks if b.source == "user"]
    after = dumps(project).splitlines()
    assert len(text.splitlines()) - len(after) == 1
    assert [line for line in text.splitlines() if line not in after] == [
        '      {"t": 3.033333, "duration": 0.183, "source": "auto"},']


def test_files_from_before_blink_sources_load_and_save_unchanged(tmp_path):
    data = valid()
    data["tracks"]["blinks"] = [{"t": 0.5}, {"t": 2.0, "duration": 0.3}]
    path = write(tmp_path / "old.json", data)
    p = load_project(path)
    assert p.tracks.blinks == [Blink(0.5, 0.2, "user"), Blink(2.0, 0.3, "user")]
    data["tracks"]["blinks"][0]["duration"] = 0.2
    assert json.loads(dumps(p, tmp_path))["tracks"]["blinks"] == data["tracks"]["blinks"]


def test_float_noise_does_not_reach_the_file(tmp_path):
    p = Project()
    p.tracks.head_yaw.keys = [Key(0.1 + 0.2, -0.0)]
    text = dumps(p)
    assert '{"t": 0.3, "v": 0.0, "interp": "smooth"}' in text


def test_paths_are_relative_on_disk_and_absolute_in_memory(tmp_path, project):
    folder = tmp_path / "projects"
    folder.mkdir()
    save_project(project, folder / "scene.json")
    data = json.loads((folder / "scene.json").read_text())
    assert data["portrait"] == "../media/portrait.jpg"
    assert data["audio"] == "../media/speech.wav"
    # The whole folder moves: the project still finds its media.
    moved = tmp_path.parent / (tmp_path.name + "_moved")
    shutil.copytree(tmp_path, moved)
    loaded = load_project(moved / "projects" / "scene.json")
    assert os.path.isabs(loaded.portrait)
    assert Path(loaded.portrait).read_bytes()[:2] == b"\xff\xd8"  # the real JPEG
    assert Path(loaded.audio) == moved / "media" / "speech.wav"


def test_relative_project_path_is_resolved(tmp_path, project, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_project(project, "here.json")
    assert Path(load_project("here.json").portrait) == tmp_path / "media" / "portrait.jpg"


def test_failed_save_leaves_the_old_file_and_no_temp(tmp_path, project, monkeypatch):
    path = tmp_path / "scene.json"
    save_project(project, path)
    original = path.read_bytes()
    project.tracks.head_yaw.keys.append(Key(9.0, 20.0))

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(doc_io.os, "fsync", disk_full)
    with pytest.raises(InputError, match="No space left on device.*unchanged"):
        save_project(project, path)
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media", "scene.json"]


def test_unencodable_project_never_touches_the_file(tmp_path, project):
    path = tmp_path / "scene.json"
    save_project(project, path)
    original = path.read_bytes()
    project.tracks.head_yaw.keys.append(Key(9.0, float("nan")))
    with pytest.raises(InputError, match="scene.json"):
        save_project(project, path)
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media", "scene.json"]


def test_save_keeps_file_permissions(tmp_path, project):
    path = tmp_path / "scene.json"
    save_project(project, path)
    os.chmod(path, 0o640)
    save_project(project, path)
    assert path.stat().st_mode & 0o777 == 0o640


SCHEMA0 = {
    "version": 0,
    "portrait": "face.png",
    "audio": "voice.wav",
    "fps": 24,
    "size": 256,
    "seed": 3,
    "renderer": "mesh",
    "tracks": {
        "yaw": [{"t": 0, "v": 5, "interp": "linear"}, {"t": 2, "v": -5}],
        "pitch": [{"t": 1, "v": 2}],
        "roll": [],
        "blink_rate": 12,
        "blinks": [{"t": 1.0, "duration": 0.3}],
        "emotion": [{"t": 0, "emotion": "sad", "intensity": 0.5}],
    },
}


def test_schema0_file_is_migrated(tmp_path):
    path = write(tmp_path / "old.json", SCHEMA0)
    p = load_project(path)
    assert (p.width, p.height, p.fps, p.seed) == (256, 256, 24, 3)
    assert p.render.renderer == "mesh"
    assert [(k.t, k.v, k.interp) for k in p.tracks.head_yaw.keys] == [
        (0, 5, "linear"), (2, -5, "smooth")]
    assert p.tracks.head_pitch.keys[0].v == 2
    assert p.tracks.blink_rate.default == 12 and not p.tracks.blink_rate.keys
    assert p.tracks.blinks == [Blink(1.0, 0.3)]
    assert p.tracks.emotion == [EmotionKey(0, "sad", 0.5)]
    assert p.portrait == str(tmp_path / "face.png")
    # Saving writes the current schema, which loads back to the same project.
    save_project(p, tmp_path / "new.json")
    data = json.loads((tmp_path / "new.json").read_text())
    assert data["schema"] == 1 and "head_yaw" in data["tracks"] and "size" not in data
    assert load_project(tmp_path / "new.json") == p


def test_bad_schema0_file_reports_the_migrated_path(tmp_path):
    bad = json.loads(json.dumps(SCHEMA0))
    bad["tracks"]["yaw"][1]["t"] = -1
    with pytest.raises(InputError) as err:
        load_project(write(tmp_path / "old.json", bad))
    assert str(err.value) == "old.json: tracks.head_yaw.keys[1].t: must be >= 0"


def valid() -> dict:
    return json.loads(dumps(Project()))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["tracks"]["head_yaw"].update(keys=[{"t": i, "v": 0} for i in range(3)]
                                                  + [{"t": -0.5, "v": 1}]),
         "project.json: tracks.head_yaw.keys[3].t: must be >= 0"),
        (lambda d: d["tracks"]["head_pitch"]["keys"].append({"t": 1, "v": 2, "interp": "cubic"}),
         "project.json: tracks.head_pitch.keys[0].interp: must be one of linear, smooth, step, "
         "ease"),
        (lambda d: d["tracks"]["head_roll"]["keys"].append({"v": 2}),
         "project.json: tracks.head_roll.keys[0].t: is required"),
        (lambda d: d["tracks"]["emotion"].append({"t": 0, "emotion": "happy", "intensity": 2}),
         "project.json: tracks.emotion[0].intensity: must be <= 1"),
        (lambda d: d["tracks"]["emotion"].append({"t": 0, "emotion": "bored", "intensity": 1}),
         "project.json: tracks.emotion[0].emotion: must be one of neutral, happy, sad, angry, "
         "surprised, fearful, disgusted"),
        (lambda d: d["tracks"]["emotion"].append({"t": 0, "emotion": "happy"}),
         "project.json: tracks.emotion[0].intensity: is required"),
        (lambda d: d["tracks"]["blinks"].append({"t": 1, "duration": 0}),
         "project.json: tracks.blinks[0].duration: must be > 0"),
        (lambda d: d["tracks"]["blinks"].append({"t": 1, "source": "drawn"}),
         "project.json: tracks.blinks[0].source: must be one of user, auto"),
        (lambda d: d.update(fps="25"), "project.json: fps: must be a whole number"),
        (lambda d: d.update(width=2048), "project.json: width: must be <= 1024"),
        (lambda d: d.update(height=511), "project.json: height: must be even (video encoders "
                                         "need even sizes)"),
        (lambda d: d["tracks"]["visemes"].append({"start": 1, "end": 0.5, "viseme": "AI"}),
         "project.json: tracks.visemes[0].end: must be after start"),
        (lambda d: d.update(colour="red"), "project.json: colour: unknown key"),
        (lambda d: d["tracks"].update(head_yawn={}), "project.json: tracks.head_yawn: unknown key"),
        (lambda d: d.update(portrait=3), "project.json: portrait: must be text or null"),
    ],
)
def test_bad_files_are_refused_with_key_path_and_reason(tmp_path, edit, message):
    data = valid()
    edit(data)
    with pytest.raises(InputError) as err:
        load_project(write(tmp_path / "project.json", data))
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "broken.json: not valid JSON"),
        ('{"schema": 1, "fps": NaN}', "broken.json: not valid JSON"),
        ("[1, 2]", "broken.json: not a project file"),
        ('{"fps": 25}', "broken.json: not a project file (no \"schema\" key)"),
        ('{"schema": 7}', "broken.json: written with schema 7 by a newer version"),
        ("", "broken.json: not valid JSON"),
    ],
)
def test_unreadable_files_get_one_clear_line(tmp_path, text, message):
    path = tmp_path / "broken.json"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_project(path)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_binary_and_missing_files(tmp_path, portrait_path):
    with pytest.raises(InputError, match=r"^portrait.jpg: not a project file"):
        load_project(portrait_path)
    with pytest.raises(InputError, match=r"^nope.json: no such project file"):
        load_project(tmp_path / "nope.json")


def test_hand_edited_unsorted_keys_load_sorted(tmp_path):
    data = valid()
    data["tracks"]["head_yaw"]["keys"] = [{"t": 2, "v": 1}, {"t": 1, "v": 0}]
    p = load_project(write(tmp_path / "p.json", data))
    assert [k.t for k in p.tracks.head_yaw.keys] == [1, 2]


def test_the_documented_example_is_exactly_what_the_studio_writes(tmp_path):
    doc = (Path(__file__).resolve().parent.parent / "docs" / "project-format.md").read_text()
    example = doc.split("## Full example", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    jsonschema.validate(json.loads(example), project_schema(),
                        cls=jsonschema.Draft202012Validator)
    path = tmp_path / "example.json"
    path.write_text(example)
    project = load_project(path)
    assert project.tracks.head_yaw.keys[1].interp == "ease"
    assert Path(project.portrait) == tmp_path / "media" / "portrait.jpg"
    assert dumps(project, tmp_path) == example


# -- hostile files (issue 13): every file the loader cannot honour is refused in one line --------

def refusal(tmp_path: Path, text: str, name: str = "talk.json") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with pytest.raises(InputError) as err:
        open_project(path)  # as the command line and the studio open it
    message = str(err.value)
    assert "\n" not in message and "\r" not in message
    message.encode("utf-8")  # printable on any terminal: no lone surrogates in the message
    return message


def with_value(path: list, raw: str) -> str:
    """The text of a valid project with the value at `path` replaced by the JSON text `raw`."""
    data = json.loads(SAMPLE_PROJECT.read_text())
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = "@@VALUE@@"
    return json.dumps(data).replace('"@@VALUE@@"', raw)


@pytest.mark.parametrize(("path", "raw", "expected"), [
    (["duration"], "1e400", "talk.json: duration: is too large a number"),
    (["tracks", "head_yaw", "keys", 1, "v"], "-1e400", "talk.json: tracks.head_yaw.keys[1].v: is too large"),
    (["tracks", "head_yaw", "keys", 1, "t"], "1" + "0" * 400, "talk.json: tracks.head_yaw.keys[1].t: is too large a number (401 digits)"),
    (["duration"], "1" + "0" * 5000, "talk.json: duration: is too large a number (5001 digits)"),
    (["tracks", "head_pitch", "default"], "1e300", "talk.json: tracks.head_pitch.default: must be <= 90"),
    (["tracks", "head_roll", "keys"], '[{"t": 1, "v": -1e300}]', "talk.json: tracks.head_roll.keys[0].v: must be >= -90"),
    (["tracks", "blinks", 0, "t"], "1e9", "talk.json: tracks.blinks[0].t: must be <= 86400"),
    (["seed"], "3.0", "talk.json: seed: must be a whole number"),
    (["seed"], "-1", "talk.json: seed: must be >= 0"),
    (["seed"], "1180591620717411303424", "talk.json: seed: must be <= 9223372036854775807"),
    (["width"], "512.0", "talk.json: width: must be a whole number"),
    (["fps"], "true", "talk.json: fps: must be a whole number"),
    (["tracks"], "[]", "talk.json: tracks: must be an object"),
    (["render"], '"mesh"', "talk.json: render: must be an object"),
    (["tracks", "head_yaw"], "[]", "talk.json: tracks.head_yaw: must be an object"),
    (["tracks", "blinks"], "{}", "talk.json: tracks.blinks: must be a list"),
    (["tracks", "visemes", 0, "viseme"], '"ZZ"', "talk.json: tracks.visemes[0].viseme: must be one of rest, MBP"),
    (["transcript"], '"caf\\udce9"', "talk.json: transcript: holds text that is not valid Unicode"),
    (["render", "diffusion", "model"], '"../../secrets/x"', "talk.json: render.diffusion.model: must be a preset name"),
    (["render", "diffusion", "model"], '"/etc/manifest"', "talk.json: render.diffusion.model: must be a preset name"),
    (["portrait"], '"face\\u0000.jpg"', "talk.json: portrait: must not hold a NUL character"),
    (["transcript"], "[" * 5000 + "]" * 5000, "talk.json: nested too deeply"),
    (["transcript"], "[" * 20 + "]" * 20, "talk.json: transcript" + "[0]" * 8 + ": nested too deeply"),
])
def test_hostile_values_are_refused_with_their_key_path(tmp_path, path, raw, expected):
    assert refusal(tmp_path, with_value(path, raw)).startswith(expected)


def test_every_number_in_the_schema_has_a_finite_documented_range():
    schema = project_schema()
    docs = (Path(__file__).resolve().parent.parent / "docs" / "project-format.md").read_text()
    unbounded = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") in ("number", "integer"):
                low = node.get("minimum", node.get("exclusiveMinimum"))
                high = node.get("maximum", node.get("exclusiveMaximum"))
                if low is None or high is None:
                    unbounded.append(where)
            for name, child in node.items():
                walk(child, f"{where}.{name}")

    walk(schema, "schema")
    assert unbounded == []
    for documented in ("0–86400", "−90–90", "integer 0–2⁶³−1", "1–120", "64–1024"):
        assert documented in docs


@pytest.mark.parametrize(("text", "expected"), [
    ('{"schema": 1, "fps": 25, "fps": 30}', "talk.json: fps: given twice in the same object"),
    ('{"schema": 1, "tracks": {"head_yaw": {"keys": []}, "head_yaw": {"keys": []}}}',
     "talk.json: tracks.head_yaw: given twice"),
    ('{"schema": 1, "tracks": {"blinks": [{"t": 1, "t": 2}]}}',
     "talk.json: tracks.blinks[0].t: given twice"),
    ('{"schema": 1, "a\\nb": 1}', 'talk.json: "a\\nb": unknown key'),
    ('{"schema": 1, "\\ud800": 1}', 'talk.json: "\\ud800": key is not valid Unicode'),
    ('{"version": 0, "tracks": [], "renderer": "mesh"}', "talk.json: tracks: must be an object"),
    ('{"version": 0, "render": [], "renderer": "mesh"}', "talk.json: render: must be an object"),
    ('{"version": 0, "tracks": {"blink_rate": true}}',
     "talk.json: tracks.blink_rate: must be an object"),
])
def test_duplicate_keys_and_odd_documents_are_refused(tmp_path, text, expected):
    assert refusal(tmp_path, text).startswith(expected)


def test_viseme_names_in_the_schema_are_the_renderers():
    from studio.analysis.lipsync.phonemes import VISEMES
    from studio.conditioning.visemes import VISEME_SHAPES

    schema = project_schema()
    names = schema["properties"]["tracks"]["properties"]["visemes"]["items"]["properties"]["viseme"]["enum"]
    assert set(names) == set(VISEME_SHAPES) == set(VISEMES)


def test_numbers_load_as_a_save_writes_them(tmp_path):
    """Rounded to 6 decimals on load, so what loads is what saves and reloads: a 0.0000004 s
    blink or a viseme 0.0000001 s long would otherwise save into a file that is refused."""
    data = valid()
    data["tracks"]["visemes"] = [{"start": 1.0000001, "end": 1.0000002, "viseme": "AI"}]
    assert refusal(tmp_path, json.dumps(data)) == \
        "talk.json: tracks.visemes[0].end: must be after start"
    data["tracks"]["visemes"] = [{"start": 1.0000001, "end": 1.25, "viseme": "AI"}]
    data["tracks"]["blinks"] = [{"t": 0.1234564, "duration": 0.0000004}]
    assert refusal(tmp_path, json.dumps(data)) == "talk.json: tracks.blinks[0].duration: must be > 0"


@pytest.mark.parametrize("edit", [
    lambda p: setattr(p, "transcript", "caf\udce9"),
    lambda p: p.tracks.head_yaw.keys.append(Key(10**400, 1.0)),
    lambda p: setattr(p, "duration", float("inf")),
])
def test_a_project_no_file_can_hold_is_refused_on_save_not_half_written(tmp_path, project, edit):
    path = tmp_path / "scene.json"
    save_project(project, path)
    original = path.read_bytes()
    edit(project)
    with pytest.raises(InputError, match=r"^cannot save scene\.json: "):
        save_project(project, path)
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media", "scene.json"]


def test_saving_through_a_symlink_writes_the_target(tmp_path, project):
    real = tmp_path / "real" / "scene.json"
    real.parent.mkdir()
    save_project(project, real)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    project.seed = 99
    save_project(project, link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert load_project(real).seed == 99
    assert sorted(p.name for p in real.parent.iterdir()) == ["scene.json"]


def test_files_that_are_not_regular_are_refused_by_what_they_are(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    for path, kind in [(Path("/dev/zero"), "a character device"),
                       (fifo, "a named pipe (FIFO)"), (tmp_path, "a folder")]:
        with pytest.raises(InputError) as err:
            load_project(path)  # never blocks on the pipe, never reads /dev/zero forever
        assert str(err.value) == (f"{path.name}: {path} is {kind}, not a project file; give a "
                                  ".json project file")


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path, monkeypatch):
    monkeypatch.setattr(doc_io, "MAX_PROJECT_BYTES", 1000)
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"schema": 1, "transcript": "x" * 2000}))
    with pytest.raises(InputError, match=r"^big.json: larger than 1000 bytes, too large for a "
                                         r"project file"):
        load_project(path)


@pytest.mark.parametrize(("path", "raw", "expected"), [
    (["style_preset"], '"chirpy"', "talk.json: style_preset: must be a speaking-style preset"),
    (["style_preset"], '"neutral\\n"', "talk.json: style_preset: must be a speaking-style preset"),
    (["render", "diffusion", "model"], '"tiny\\n"', "talk.json: render.diffusion.model: must be a preset name"),
    (["render", "diffusion", "device"], '"cuda; rm"', "talk.json: render.diffusion.device: must be a device name"),
    (["width"], "32", "talk.json: width: must be >= 64"),
])
def test_names_that_would_fail_at_render_are_refused_on_load(tmp_path, path, raw, expected):
    assert refusal(tmp_path, with_value(path, raw)).startswith(expected)


def test_style_presets_in_the_schema_are_the_built_in_ones():
    from studio.conditioning.styles import BUILTIN

    pattern = project_schema()["properties"]["style_preset"]["pattern"]
    assert pattern.split("(", 2)[2].rsplit("|", 1)[0].split("|") == list(BUILTIN)


def test_a_killed_writers_temporary_is_removed_by_the_next_save(tmp_path):
    """SIGKILL mid-save leaves `.NAME.PID.XXXX.tmp`; the next save of that file removes it, and
    leaves a live writer's alone."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    target = tmp_path / "talk.json"
    dead = tmp_path / f".talk.json.{child.pid}.ab12cd.tmp"
    live = tmp_path / f".talk.json.{os.getppid()}.ef34gh.tmp"
    other = tmp_path / f".other.json.{child.pid}.ij56kl.tmp"
    for path in (dead, live, other):
        path.write_text("{")
    save_project(Project(), target)
    assert not dead.exists() and live.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, live.name, other.name])
