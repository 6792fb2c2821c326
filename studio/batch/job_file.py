"""Job files: jobs.csv (a header row, one job a row) and jobs.json (a list of objects).

Each job is a project file or a portrait + audio pair, with any `studio render` flag as a column
or key named after it (`fps`, `size`, `seed`, `emotion`, `transcript`, `style`, `renderer`...).
`output` is relative to the output folder (default: the audio's or project's name, .mp4);
input paths are relative to the job file's folder. A job file that cannot be read as a whole
is refused with one line naming the row, before anything is rendered.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath

from studio.batch.jobs import Job
from studio.doc.errors import InputError
from studio.export.formats import resolve_format

INPUT_KEYS = ("project", "portrait", "audio")
PATH_KEYS = (*INPUT_KEYS, "models")
MAYBE_PATH_KEYS = {"transcript": ".txt", "style": ".json"}  # text, or a file beside the jobs
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class JobRow:
    """One job as the file gives it: where it is (for messages) and its fields as text."""

    where: str  # "jobs.csv line 3", "jobs.json job 2"
    fields: dict[str, str]

    @property
    def output(self) -> str:
        return self.fields["output"]

    @property
    def transparent(self) -> bool:
        return self.fields.get("transparent", "").strip().lower() in _TRUE

    def render_argv(self, folder: Path, outdir: Path) -> list[str]:
        """The `studio render` arguments this job stands for; paths made absolute."""
        fields = dict(self.fields)
        argv = ["render"]
        for key in ("portrait", "audio"):
            if fields.get(key):
                argv.append(_beside(folder, fields[key]))
        argv += ["-o", str(outdir / fields.pop("output"))]
        for key, value in fields.items():
            if key in ("portrait", "audio", "transparent") or value == "":
                continue
            if key in PATH_KEYS:
                value = _beside(folder, value)
            elif key in MAYBE_PATH_KEYS and value.lower().endswith(MAYBE_PATH_KEYS[key]):
                if (folder / value).is_file():
                    value = _beside(folder, value)
            argv.append(f"--{key.replace('_', '-')}={value}")
        if self.transparent:
            argv.append("--transparent")
        return argv


def _beside(folder: Path, value: str) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else folder / path)


def read_job_file(path: str | Path) -> list[JobRow]:
    """The jobs of a .json or .csv file, each with an output name that stays inside the output
    folder and is unique; InputError (one line) for anything else."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise InputError(f"{path.name}: give a jobs file ending in .json or .csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such jobs file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path.name}: cannot read it ({error})") from None
    rows = _json_rows(path.name, text) if suffix == ".json" else _csv_rows(path.name, text)
    if not rows:
        raise InputError(f"{path.name}: no jobs in it")
    seen: dict[str, str] = {}
    for row in rows:
        _check_row(row)
        key = str(PurePath(row.output))
        if key in seen:
            raise InputError(f"{row.where}: output {row.output} is also the output of "
                             f"{seen[key]}; give each job its own")
        seen[key] = row.where
    return rows


def jobs_from_rows(rows: list[JobRow], folder: Path, outdir: Path,
                   project_for: Callable[..., object]) -> list[Job]:
    """The jobs, each with its project made as `studio render` makes it from the row's flags
    (`project_for(argv, stand_in)`). A flag render would refuse makes the file bad (InputError
    naming the row); a project that cannot be made (a missing project file) fails its job."""
    jobs = []
    for row in rows:
        argv = row.render_argv(folder, outdir)
        output = outdir / row.output
        try:
            project_for(argv, stand_in=True)
        except InputError as error:
            raise InputError(f"{row.where}: {error}") from None
        try:
            jobs.append(Job(row.output, output, project_for(argv), row.transparent))
        except InputError as error:
            jobs.append(Job(row.output, output, None, row.transparent, error=str(error)))
    return jobs


def _json_rows(name: str, text: str) -> list[JobRow]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{name} line {error.lineno}: not valid JSON ({error.msg})") from None
    if isinstance(data, dict) and isinstance(data.get("jobs"), list):
        data = data["jobs"]
    if not isinstance(data, list):
        raise InputError(f"{name}: give a list of jobs, e.g. [{{\"project\": \"a.json\", "
                         "\"output\": \"a.mp4\"}]")
    rows = []
    for number, item in enumerate(data, 1):
        where = f"{name} job {number}"
        if not isinstance(item, dict):
            raise InputError(f"{where}: a job is an object of flags, e.g. "
                             "{\"portrait\": \"face.jpg\", \"audio\": \"en.wav\"}")
        fields = {}
        for key, value in item.items():
            if isinstance(value, (dict, list)):
                raise InputError(f"{where}: {key} must be a single value")
            fields[str(key).strip().lower()] = _text(value)
        rows.append(JobRow(where, fields))
    return rows


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _csv_rows(name: str, text: str) -> list[JobRow]:
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise InputError(f"{name} line 1: give a header row, e.g. portrait,audio,output")
    keys = [cell.strip().lower() for cell in header]
    if "" in keys or len(set(keys)) != len(keys):
        raise InputError(f"{name} line 1: every column needs its own name, e.g. "
                         "portrait,audio,output")
    rows = []
    for number, cells in enumerate(reader, 2):
        if not any(cell.strip() for cell in cells):
            continue
        where = f"{name} line {number}"
        if len(cells) != len(keys):
            raise InputError(f"{where}: {len(cells)} values for {len(keys)} columns")
        rows.append(JobRow(where, {k: c.strip() for k, c in zip(keys, cells)}))
    return rows


def _check_row(row: JobRow) -> None:
    fields = row.fields
    if not fields.get("project") and not (fields.get("portrait") and fields.get("audio")):
        raise InputError(f"{row.where}: give a project, or a portrait and an audio file")
    if not fields.get("output"):
        source = fields.get("audio") or fields.get("project")
        fields["output"] = f"{PurePath(source).stem}.mp4"
    output = PurePath(fields["output"])
    if output.is_absolute() or ".." in output.parts or not output.name:
        raise InputError(f"{row.where}: output {fields['output']} must be a name inside the "
                         "output folder (no absolute path, no ..)")
    if fields.get("cues"):
        raise InputError(f"{row.where}: a batch does not write cues; run 'studio export-cues' "
                         "on the job's project, or 'studio render --cues'")
    if fields.get("transparent", "").strip().lower() not in _TRUE + _FALSE:
        raise InputError(f"{row.where}: transparent is true or false, not "
                         f"'{fields['transparent']}'")
    try:
        resolve_format(output)
    except InputError as error:
        raise InputError(f"{row.where}: {error}") from None
