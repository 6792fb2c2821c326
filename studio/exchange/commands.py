"""`studio export-cues` and `studio import-cues`: the command line's side of the exchange.

    studio export-cues talk.json -o talk.tsv -o talk.csv -o talk.motion3.json
    studio import-cues talk.json take.csv --offset 0.5 [-o edited.json]
    studio render face.jpg talk.wav -o talk.mp4 --cues talk.tsv --cues talk.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

from studio.engine.command_context import EXIT_OK, CommandContext
from studio.exchange.formats import FORMATS, CueOptions

COMMANDS = ("export-cues", "import-cues")
SUFFIXES = ", ".join(f"{f.suffix} ({f.description})" for f in FORMATS.values())


def add_commands(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser(
        "export-cues", help="write mouth cues and face curves for animation tools",
        description="Write a project's performance for other tools: Rhubarb mouth cues, "
        "Moho switch data, Live Link Face blendshape CSV, Live2D motion. Formats by file "
        f"name: {SUFFIXES}. See docs/exchange.md.")
    export.add_argument("project", metavar="P.json", help="project file")
    export.add_argument("-o", "--output", action="append", required=True, metavar="OUT",
                        help="file to write (give -o several times for several files)")
    export.add_argument("--format", choices=sorted(FORMATS),
                        help="format of every output (default: from each file name)")
    export.add_argument("--dat-fps", type=float, default=24.0, metavar="FPS",
                        help="frame rate of Moho .dat frame numbers, 24-100 (default 24)")
    export.add_argument("--preston-blair", action="store_true",
                        help="Moho .dat with Preston Blair shape names (for OpenToonz)")
    export.add_argument("--extended-shapes", default="GHX", metavar="GHX",
                        help="Rhubarb's optional shapes to use, a subset of GHX; "
                        "\"\" for A-F only (default GHX)")
    imp = sub.add_parser(
        "import-cues", help="put Rhubarb mouth cues or a Live Link Face take on the timeline",
        description="Rhubarb cues (.tsv/.json/.xml/.dat) become viseme overrides; a Live Link "
        "Face .csv becomes head pose, gaze, eyebrow keys and blinks. See docs/exchange.md.")
    imp.add_argument("project", metavar="P.json", help="project file")
    imp.add_argument("file", help="the cues or the capture")
    imp.add_argument("-o", "--output", metavar="OUT.json",
                     help="project file to write (default: the project itself)")
    imp.add_argument("--offset", type=float, default=0.0, metavar="SECONDS",
                     help="where in the audio the file's start (or --timecode-origin) lands")
    imp.add_argument("--timecode-origin", metavar="HH:MM:SS.sss",
                     help="the capture's timecode at the audio's start (default: its first row)")
    imp.add_argument("--capture-fps", type=int, metavar="FPS",
                     help="the capture's frame rate (default: from its timecodes)")
    imp.add_argument("--dat-fps", type=float, default=24.0, metavar="FPS",
                     help="frame rate of a Moho .dat file (default 24)")


def add_render_flags(render: argparse.ArgumentParser) -> None:
    """`studio render --cues OUT`: the rendered performance also written for other tools."""
    render.add_argument("--cues", action="append", default=[], metavar="OUT",
                        help="also write the performance rendered as mouth cues or face curves, "
                        f"format by file name: {SUFFIXES} (give --cues several times for "
                        "several files; see docs/exchange.md)")


def render_cue_outputs(args: argparse.Namespace) -> list[tuple[Path, None]]:
    """The --cues files of a render, checked before anything is analysed."""
    from studio.exchange.exports import check_outputs

    outputs: list[tuple[Path, None]] = [(Path(o), None) for o in args.cues]
    check_outputs(outputs)
    return outputs


def write_render_cues(project, outputs: list[tuple[Path, None]], analysis, log) -> None:
    """The cues and curves of the analysis the render used (the voice is not analysed again)."""
    from studio.exchange.exports import export_performance

    for path in export_performance(project, outputs, analysis=analysis, log=log):
        log(f"wrote {path}")


def run_command(args: argparse.Namespace, context: CommandContext) -> int:
    from studio.doc.io import load_project, save_project
    from studio.exchange.exports import export_performance
    from studio.exchange.imports import ImportOptions, apply_import, parse_timecode, read_import

    log = context.say

    project = load_project(args.project)
    if args.command == "export-cues":
        options = CueOptions(args.dat_fps, args.preston_blair, args.extended_shapes)
        written = export_performance(project, [(Path(o), args.format) for o in args.output],
                                     options=options, log=log)
        for path in written:
            log(f"wrote {path}")
        return EXIT_OK
    origin = parse_timecode(args.timecode_origin) if args.timecode_origin else None
    options = ImportOptions(args.offset, origin, args.capture_fps, args.dat_fps)
    imported = read_import(project, Path(args.file), options)
    apply_import(project, imported)
    out = Path(args.output or args.project)
    save_project(project, out)
    log(f"{imported.summary}; wrote {out}")
    return EXIT_OK
