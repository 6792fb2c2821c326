"""`studio batch`: the command line's side of the render queue (studio/batch).

Exit status: 0 when every job is done or was already, 1 when any failed, 2 for a bad jobs file,
130 (or 128 + the signal) when stopped.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from studio.engine.command_context import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, CommandContext

COMMANDS = ("batch",)


def add_commands(sub: argparse._SubParsersAction) -> None:
    batch = sub.add_parser("batch", help="render many clips: on every core, or on a Ray cluster",
                           description="Render every job of JOBS (jobs.json or jobs.csv: a "
                           "project, or a portrait and audio, and any render flag per job) into "
                           "OUTDIR. Outputs that exist are skipped, so a stopped batch resumes.")
    batch.add_argument("jobs", metavar="JOBS", help="jobs.json or jobs.csv")
    batch.add_argument("-o", "--output", required=True, metavar="OUTDIR",
                       help="folder the outputs go to (each job's output is relative to it)")
    batch.add_argument("--ray", metavar="auto|ADDRESS", help="run on a Ray cluster: auto, or "
                       "its address, e.g. 10.0.0.5:6379 (docs/render-farm.md)")
    batch.add_argument("--processes", "-j", type=int, metavar="N",
                       help="jobs at a time on this machine (default: one per core)")
    batch.add_argument("--chunk-seconds", type=float, metavar="S", help="with --ray: clips "
                       "over 2 x S seconds render in chunks of about S (default 20)")
    batch.add_argument("--force", action="store_true", help="render outputs that exist again")


def run_command(args: argparse.Namespace, context: CommandContext) -> int:
    from studio.batch.runner import run_job_file

    try:
        failed, total = run_job_file(Path(args.jobs), Path(args.output), context.project_for,
                                     ray=args.ray, processes=args.processes, force=args.force,
                                     chunk_seconds=args.chunk_seconds)
    except KeyboardInterrupt as stop:
        context.say("studio: batch stopped; finished outputs are kept, unfinished jobs left "
                    "nothing")
        signum = getattr(stop, "signum", None)  # the CLI's SIGTERM/SIGHUP carry their number
        return 128 + signum if signum else EXIT_CANCELLED
    if failed:
        context.say(f"studio: {failed} of {total} jobs failed")
    return EXIT_FAILED if failed else EXIT_OK
