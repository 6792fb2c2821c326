"""`studio`: the command line. Renders headless with the same engine the application uses.

Exit status: 0 success; 2 bad input or arguments (one line on stderr, no traceback);
1 internal error (one line naming a log file that holds the traceback); 130 cancelled (Ctrl-C);
143 and 129 stopped by SIGTERM and SIGHUP, which are handled as Ctrl-C is: no partial output.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import time
import traceback
from pathlib import Path

# Per-frame numpy work is on small arrays: BLAS threads only spin against the encoder process.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from studio import __version__  # noqa: E402
from studio.doc.errors import Cancelled, InputError  # noqa: E402
from studio.doc.file_kinds import AUDIO_FORMATS  # noqa: E402
from studio.engine.command_context import (  # noqa: E402
    EXIT_CANCELLED, EXIT_FAILED as EXIT_INTERNAL, EXIT_INPUT, EXIT_OK, CommandContext)
from studio.exchange import commands as exchange_commands  # noqa: E402
from studio.resources import log_dir  # noqa: E402



class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the work is so that it unwinds as Ctrl-C does: the
    encoder is stopped and its temporary output removed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP")
                      if hasattr(signal, name))


def _stop(signum: int, _frame: object) -> None:
    for other in _STOP_SIGNALS:  # a second signal must not interrupt the clean-up
        signal.signal(other, signal.SIG_IGN)
    raise Stopped(signum)


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad arguments as an InputError (exit 2, one line)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"{message} (see '{self.prog} --help')")


def _add_performance_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fps", type=int, help="frames per second (default 25)")
    p.add_argument("--size", type=int, help="output width and height in pixels (default 512, up to 1024)")
    p.add_argument("--seed", type=int, help="seed for automatic blinks, motion and diffusion noise")
    p.add_argument("--emotion", metavar="NAME:INTENSITY",
                   help="emotion for the whole clip, e.g. happy:0.6")
    p.add_argument("--transcript", metavar="TEXT_OR_FILE",
                   help="what is said, as text or a .txt file: makes lip-sync timing exact")
    p.add_argument("--lipsync", choices=("auto", "phonemes", "signal"),
                   help="lip-sync method: auto (default), phonemes (English), signal (any language)")
    p.add_argument("--style", metavar="PRESET", help="speaking style preset or preset file")


def _add_renderer_flags(p: argparse.ArgumentParser) -> None:
    """--renderer, and each renderer's settings as the flags its RendererKind declares."""
    from studio.render.registry import all_kinds, default_renderer, renderer_names

    p.add_argument("--renderer", choices=renderer_names(),
                   help=f"renderer (default {default_renderer()})")
    for kind in all_kinds():
        for setting in kind.settings:
            if setting.flag is None:
                continue
            words = setting.flag_words
            p.add_argument(setting.flag, dest=_flag_dest(setting.flag), choices=words,
                           metavar=None if words else setting.type.upper(),
                           help=f"{kind.name}: {setting.help} (default "
                                f"{_flag_default(setting)})")


def _flag_dest(flag: str) -> str:
    return "renderer_" + flag.lstrip("-").replace("-", "_")


def _flag_default(setting) -> str:
    if setting.flag_words:
        return setting.flag_words[0 if setting.default else 1]
    return "none" if setting.default is None else str(setting.default)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="studio", description="Talking Portrait Studio: animate a portrait "
                     "from a voice clip.")
    parser.add_argument("--version", action="version", version=f"studio {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    render = sub.add_parser("render", help="render a talking clip to a video or image sequence",
                            description="Render PORTRAIT speaking AUDIO, or a project file, "
                            "to OUT (.mp4, .mov with alpha, or a folder of PNG frames).")
    render.add_argument("portrait", nargs="?", help="portrait photo (JPEG, PNG, ...)")
    render.add_argument("audio", nargs="?", help=f"voice clip ({AUDIO_FORMATS})")
    render.add_argument("--project", "-p", metavar="P.json", help="render this project file")
    render.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output path: clip.mp4, clip.mov (ProRes 4444 with alpha), "
                        "frames/ (PNG sequence)")
    render.add_argument("--transparent", action="store_true",
                        help="transparent background (PNG frames with alpha, or .mov)")
    render.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _add_performance_flags(render)
    _add_renderer_flags(render)
    exchange_commands.add_render_flags(render)

    init = sub.add_parser("init", help="write a project with the automatic tracks filled in",
                          description="Analyse PORTRAIT and AUDIO and write a project file, "
                          "ready to edit in the studio or by hand.")
    init.add_argument("portrait", help="portrait photo")
    init.add_argument("audio", help="voice clip")
    init.add_argument("-o", "--output", required=True, metavar="P.json", help="project file")
    _add_performance_flags(init)
    _add_renderer_flags(init)

    gui = sub.add_parser("gui", help="open the studio application")
    gui.add_argument("project", nargs="?", help="project file to open")
    gui.add_argument("--screenshot", metavar="PNG",
                     help="save a picture of the window once it shows its first frame (or the "
                     "welcome page), then quit: checks an installation without a person watching")

    sub.add_parser("info", help="where this installation keeps its files, and what it can render",
                   description="Print the version, the folders this installation reads and "
                   "writes, and which renderers it can run (what to install when one is missing).")
    for module in _command_modules():
        module.add_commands(sub)
    return parser


def _command_modules():
    """Subcommands kept beside what they drive: each module has COMMANDS, add_commands(sub)
    and run_command(args, context) -> exit status. Renderers add theirs through the registry."""
    from studio.batch import command as batch_command
    from studio.render.registry import command_modules

    return (batch_command, exchange_commands, *command_modules())


def _number(value: str, flag: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise InputError(f"{flag}: '{value}' is not a number") from None


def _check_range(flag: str, value: float, setting: str, what: str) -> None:
    """The project file's own limits (its schema) for a flag that sets one of its values."""
    from studio.doc.io import setting_bounds

    low, high = setting_bounds(setting)
    if not low <= value <= high:
        raise InputError(f"{flag} {value}: use {what} from {low} to {high}")


def _emotion_key(spec: str):
    from studio.doc.project import EMOTIONS, EmotionKey

    name, _, level = spec.partition(":")
    name = name.strip().lower()
    if name not in EMOTIONS:
        raise InputError(f"--emotion {spec}: unknown emotion '{name}'; use one of "
                         f"{', '.join(EMOTIONS)}, e.g. happy:0.6")
    intensity = _number(level, "--emotion") if level else 1.0
    if not 0.0 <= intensity <= 1.0:
        raise InputError(f"--emotion {spec}: intensity must be from 0 to 1, e.g. happy:0.6")
    return EmotionKey(t=0.0, emotion=name, intensity=intensity)


def project_from_args(args: argparse.Namespace):
    """The project to render: a project file or the two inputs, with the flags applied on top."""
    from studio.doc.io import setting_bounds
    from studio.engine import load_project
    from studio.doc.project import Project

    project_file = getattr(args, "project", None)
    if project_file:
        project = load_project(project_file)
    elif not (args.portrait and args.audio):
        raise InputError("give a PORTRAIT and an AUDIO file, or --project P.json "
                         "(see 'studio render --help')")
    else:
        project = Project()
    if args.portrait:
        project.portrait = str(Path(args.portrait).absolute())
    if args.audio:
        project.audio = str(Path(args.audio).absolute())
    if args.fps is not None:
        _check_range("--fps", args.fps, "fps", "a frame rate")
        project.fps = args.fps
    if args.size is not None:
        smallest, largest = setting_bounds("width")  # and even: what H.264 can encode
        if not smallest <= args.size <= largest or args.size % 2:
            raise InputError(f"--size {args.size}: use an even size from {smallest} to "
                             f"{largest} pixels")
        project.width = project.height = args.size
    if args.seed is not None:
        _check_range("--seed", args.seed, "seed", "a seed")
        project.seed = args.seed
    if args.emotion:
        project.tracks.emotion = [_emotion_key(args.emotion)]
    if args.transcript is not None:
        from studio.analysis.speech import transcript_text

        project.transcript = transcript_text(project.audio or "", args.transcript)
    if args.lipsync:
        project.lipsync = args.lipsync
    if args.style:
        from studio.engine.autofill import set_style

        set_style(project, args.style)
    if project_file and (args.seed is not None or args.style):
        # Stored automatic blinks were drawn for the file's seed and rate: drop them so the
        # new seed or style draws its own (the artist's blinks stay).
        from studio.conditioning.blinks import user_blinks

        project.tracks.blinks = user_blinks(project.tracks.blinks)
    _apply_renderer_flags(project, args)
    return project


def _apply_renderer_flags(project, args: argparse.Namespace) -> None:
    """Flags given on the command line become the project's renderer settings, checked as the
    renderer checks them (a bad value fails here, before any analysis)."""
    from studio.render.registry import all_kinds

    if args.renderer:
        project.render.renderer = args.renderer
    for kind in all_kinds():
        for setting in kind.settings:
            text = getattr(args, _flag_dest(setting.flag), None) if setting.flag else None
            if text is None:
                continue
            if setting.flag_words:
                value = text == setting.flag_words[0]
            elif setting.type == "folder":
                value = str(Path(text).absolute())
            elif setting.type in ("int", "float"):
                value = _number(text, setting.flag)
            else:
                value = text
            value = setting.check(value, setting.flag)
            project.render.options.setdefault(kind.name, {})[setting.name] = value


def _run(args: argparse.Namespace) -> int:
    if args.command == "gui":
        from studio.ui.app import run

        return run(args.project, screenshot=Path(args.screenshot) if args.screenshot else None)
    if args.command == "info":
        from studio.engine.installation import installation_report

        print(installation_report())
        return EXIT_OK
    for module in _command_modules():
        if args.command in module.COMMANDS:
            return module.run_command(args, CommandContext(_say, _project_for))
    project = project_from_args(args)
    if args.command == "init":
        from studio.engine import autofill  # lazily: keeps --help and --version instant

        report = autofill.fill_automatic_tracks(project, log=_say)
        autofill.save_project_file(project, Path(args.output))
        _say(f"wrote {args.output} ({report})")
        return EXIT_OK
    from studio.engine import pipeline

    progress = None if args.quiet else _ProgressBar()
    output = pipeline.Output(Path(args.output), transparent=args.transparent)
    cues, analysis = exchange_commands.render_cue_outputs(args), None
    if cues:  # analysed here, once, for the frames and the cues alike
        pipeline.output_format(output)
        analysis = pipeline.analyze(project, _say)
    out = pipeline.render_project(project, output, analysis=analysis, progress=progress, log=_say)
    if progress:
        progress.finish()
    _say(f"wrote {out}")
    exchange_commands.write_render_cues(project, cues, analysis, _say)
    return EXIT_OK


def _project_for(argv: list[str], stand_in: bool = False):
    """The project `studio render ARGV` renders; `stand_in` checks the flags alone."""
    args = build_parser().parse_args(argv)
    if stand_in:
        args.project, args.portrait, args.audio = None, "-", "-"
    return project_from_args(args)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _ProgressBar:
    """Frames done, rate and time left on stderr: one redrawn line on a terminal, a few lines
    in a log (CI, pipes) so that logs stay readable."""

    def __init__(self) -> None:
        self.start: float | None = None
        self.last_draw = 0.0
        self.last_tenth = -1
        self.drawn = False
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.start is None:
            self.start = now
        tenth = 10 * done // max(total, 1)
        if self.tty and done < total and now - self.last_draw < 0.1:
            return
        if not self.tty and tenth == self.last_tenth:
            return
        self.last_draw, self.last_tenth = now, tenth
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0.05 else 0.0
        left = (total - done) / rate if rate > 0 else 0.0
        filled = 30 * done // max(total, 1)
        line = (f"rendering [{'#' * filled}{'-' * (30 - filled)}] {done}/{total} frames  "
                f"{rate:5.1f} fps  {left:4.0f} s left")
        sys.stderr.write(f"\r{line} " if self.tty else f"{line}\n")
        sys.stderr.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn and self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _write_crash_log() -> Path | None:
    """A new file per crash: named by the time, the process and a counter, created exclusively,
    so two crashes in one second (or in two processes) never overwrite each other."""
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"studio-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        for count in range(1000):
            path = folder / (f"{stem}.log" if count == 0 else f"{stem}-{count}.log")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as handle:
                handle.write(traceback.format_exc())
            return path
        return None
    except OSError:
        return None


def _catch_stop_signals() -> dict[int, object]:
    """SIGTERM and SIGHUP raise Stopped, from the main thread only (where Python runs signal
    handlers); returns the handlers to put back."""
    previous: dict[int, object] = {}
    try:
        for signum in _STOP_SIGNALS:
            previous[signum] = signal.signal(signum, _stop)
    except ValueError:  # not the main thread: leave the process's handlers alone
        pass
    return previous


def main(argv: list[str] | None = None) -> int:
    previous = _catch_stop_signals()
    try:
        args = build_parser().parse_args(argv)
        return _run(args)
    except InputError as exc:
        print(f"studio: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except Stopped as exc:
        print(f"\nstudio: stopped by {exc}; no output was written", file=sys.stderr)
        return 128 + exc.signum
    except (KeyboardInterrupt, Cancelled):
        print("\nstudio: cancelled; no output was written", file=sys.stderr)
        return EXIT_CANCELLED
    except Exception as exc:  # noqa: BLE001 - the one place internal errors become a log file
        log = _write_crash_log()
        where = f"; details in {log}" if log else ""
        print(f"studio: internal error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


if __name__ == "__main__":
    status = main()
    # Exit without the interpreter's last collection over every object the render made
    # (MediaPipe's, the analysis's): 0.3 s of a 20-second clip's render.
    gc.freeze()
    sys.exit(status)
