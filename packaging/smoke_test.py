"""`make package-test`: build the standalone bundle, then run it headless the way a user would.

The bundle is copied outside the source tree and run with an empty environment (no Python, no
virtualenv, a new home folder); where the system allows a private mount namespace, the source
tree is also hidden behind an empty folder, so a resource found through a source path fails here
instead of on an artist's machine. Checked, each with one line of output:

- the folder: executable, .desktop entry, icon set, VERSION equal to pyproject.toml;
- `--version` prints the pyproject version;
- `info` reads its data and model manifests from inside the bundle (models/README.md beside the
  executable) and reports the diffusion renderer as the build flag says;
- the sample project renders to an MP4 with every frame and the voice, and the decoded frames
  equal those the source tree's engine renders from the same project;
- without DIFFUSION=1, asking for the diffusion renderer exits 2 with the install hint;
- the window opens offscreen on the welcome page (first run, no settings), and again with the
  sample project showing a rendered frame; both snapshots are saved for a person to look at.

Prints the build time and the bundle's size for docs/benchmarks.md. Exit status 0 when all pass.
"""

from __future__ import annotations

import argparse
import configparser
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
NAME = "TalkingPortraitStudio"
DESKTOP_ID = "talking-portrait-studio"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
SAMPLE_IN_BUNDLE = Path("_internal/studio/_resources/samples/sample-project.json")
HIDDEN = (ROOT, Path(sys.base_prefix))  # what a machine without Python would not have


class Check:
    """Counts failures; every check prints one line whether it passes or not."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    def __call__(self, ok: bool, what: str, detail: str = "") -> bool:
        print(f"{'ok  ' if ok else 'FAIL'} {what}{f': {detail}' if detail else ''}", flush=True)
        if not ok:
            self.failed.append(what)
        return ok


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    return struct.unpack(">II", header[16:24])


def can_hide_source() -> bool:
    """Whether `unshare -m` may mount over the source tree (root, or user namespaces)."""
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False).returncode == 0


class Bundle:
    """Runs the copied bundle in a clean environment, the source tree hidden when possible."""

    def __init__(self, folder: Path, home: Path, hide_source: bool) -> None:
        self.folder = folder
        self.exe = folder / NAME
        self.home = home
        self.hide_source = hide_source

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        environment = {"PATH": "/usr/bin:/bin", "HOME": str(self.home), "LANG": "C.UTF-8",
                       "QT_QPA_PLATFORM": "offscreen"}
        command = [str(self.exe), *args]
        if self.hide_source:  # the source tree and the Python that built the bundle
            hidden = " && ".join(f"mount -t tmpfs tmpfs {folder}" for folder in HIDDEN)
            command = ["unshare", "-m", "sh", "-c", f"{hidden} && exec \"$@\"", "sh", *command]
        return subprocess.run(command, env=environment, capture_output=True, text=True,
                              timeout=timeout, check=False, cwd=self.home)


def decode_frames(ffmpeg: str, video: Path, size: int = 64) -> np.ndarray:
    """Every frame, scaled down: enough to count frames and see the face move."""
    raw = subprocess.run([ffmpeg, "-v", "error", "-i", str(video), "-vf", f"scale={size}:{size}",
                          "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, size, size)


def frame_digests(ffmpeg: str, video: Path) -> list[str]:
    text = subprocess.run([ffmpeg, "-v", "error", "-i", str(video), "-map", "0:v", "-f",
                           "framemd5", "pipe:1"], capture_output=True, text=True, check=True).stdout
    return [line.rsplit(",", 1)[1].strip() for line in text.splitlines()
            if line and not line.startswith("#")]


def has_audio(ffmpeg: str, video: Path) -> bool:
    text = subprocess.run([ffmpeg, "-hide_banner", "-i", str(video)], capture_output=True,
                          text=True, check=False).stderr
    return "Audio: aac" in text


def check_folder(check: Check, bundle: Path) -> None:
    exe = bundle / NAME
    check(exe.is_file() and os.access(exe, os.X_OK), "executable", str(exe))
    check((bundle / "VERSION").read_text().strip() == VERSION, "VERSION file", VERSION)
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str
    desktop.read(bundle / f"{DESKTOP_ID}.desktop")
    entry = desktop["Desktop Entry"] if desktop.has_section("Desktop Entry") else {}
    check(entry.get("Type") == "Application" and entry.get("Icon") == DESKTOP_ID
          and entry.get("Exec", "").startswith(NAME) and entry.get("X-AppVersion") == VERSION,
          ".desktop entry", f"Name={entry.get('Name')}, Exec={entry.get('Exec')}")
    validator = shutil.which("desktop-file-validate")  # Debian: desktop-file-utils
    if validator:
        result = subprocess.run([validator, str(bundle / f"{DESKTOP_ID}.desktop")],
                                capture_output=True, text=True, check=False)
        check(result.returncode == 0 and "error" not in result.stdout, "desktop-file-validate",
              result.stdout.strip()[:120] or "no errors")
    icons = bundle / "icons" / "hicolor"
    wrong = [s for s in ICON_SIZES
             if png_size(icons / f"{s}x{s}" / "apps" / f"{DESKTOP_ID}.png") != (s, s)]
    check(not wrong and (icons / "scalable" / "apps" / f"{DESKTOP_ID}.svg").is_file(),
          "icon set", f"{len(ICON_SIZES)} sizes and scalable" if not wrong else f"bad sizes {wrong}")


def check_runs(check: Check, app: Bundle, diffusion: bool, work: Path, shots: Path) -> None:
    from studio.analysis.audio import ffmpeg_exe  # the harness's own ffmpeg decodes the outputs
    from studio.doc.io import load_project

    ffmpeg = ffmpeg_exe()
    start = time.perf_counter()
    result = app.run("--version")
    seconds = time.perf_counter() - start
    check(result.returncode == 0 and result.stdout.strip() == f"studio {VERSION}", "--version",
          f"{result.stdout.strip() or result.stderr.strip()} in {seconds:.2f} s")

    result = app.run("info")
    rows = dict(line.split(None, 1) for line in result.stdout.splitlines() if " " in line)
    data = Path(rows.get("data", "/nonexistent"))
    check(result.returncode == 0 and data.is_relative_to(app.folder), "data from the bundle",
          str(data))
    manifests = ", ".join(sorted(p.stem for p in (ROOT / "models").glob("*.json")))
    check(rows.get("presets") == manifests
          and (app.folder / "models" / "README.md").is_file(), "model manifests from the bundle",
          f"{rows.get('presets')}; models/README.md beside the executable")
    want = "ready" if diffusion else "not installed"
    check(rows.get("diffusion", "").startswith(want), "diffusion renderer reported",
          rows.get("diffusion", result.stderr.strip())[:90])

    sample = app.folder / SAMPLE_IN_BUNDLE
    # MediaPipe (the portrait) and pocketsphinx (lip sync aligned to the transcript beside the
    # audio) run inside the bundle: its project must equal the source tree's, viseme for viseme
    made, reference = work / "init.json", work / "init-reference.json"
    portrait, speech = (str(sample.with_name(name)) for name in ("portrait.jpg", "speech.wav"))
    result = app.run("init", portrait, speech, "-o", str(made))
    env = {**os.environ, "STUDIO_CACHE_DIR": str(work / "reference-cache")}
    subprocess.run([str(ROOT / ".venv/bin/studio"), "init", portrait, speech, "-o",
                    str(reference)], env=env, check=True, capture_output=True)
    if check(result.returncode == 0, "init: analysis and lip sync in the bundle",
             result.stderr.strip()[-200:]):
        ours, theirs = load_project(made).tracks, load_project(reference).tracks
        check(len(ours.visemes) > 50 and ours.visemes == theirs.visemes
              and ours.blinks == theirs.blinks, "the same lip sync as the source tree",
              f"{len(ours.visemes)} viseme segments")

    project = load_project(sample)
    frames = round(project.duration * project.fps)
    out = work / "sample.mp4"
    start = time.perf_counter()
    result = app.run("render", "--project", str(sample), "-o", str(out), "--quiet")
    seconds = time.perf_counter() - start
    if check(result.returncode == 0 and out.is_file(), "render the sample project",
             f"{seconds:.1f} s" if result.returncode == 0 else result.stderr.strip()[-300:]):
        video = decode_frames(ffmpeg, out).astype(np.int16)
        # the share of the picture that differs clearly from the first frame, at its largest:
        # the sample turns its head by 8 degrees and talks (about 3%), a still frame gives 0
        moved = float((np.abs(video - video[0]) > 20).mean(axis=(1, 2)).max())
        check(len(video) == frames and has_audio(ffmpeg, out) and moved > 0.01,
              "the clip: every frame, the voice, a moving face",
              f"{len(video)}/{frames} frames, up to {moved:.1%} of the picture moves")
        reference = work / "reference.mp4"
        subprocess.run([str(ROOT / ".venv/bin/studio"), "render", "--project", str(sample), "-o",
                        str(reference), "--quiet"], env=env, check=True, capture_output=True)
        check(frame_digests(ffmpeg, out) == frame_digests(ffmpeg, reference),
              "same pictures as the source tree's engine", f"{frames} frames compared")

    diffused = work / "diffusion.mp4"
    start = time.perf_counter()
    result = app.run("render", "--project", str(sample), "-o", str(diffused), "--quiet",
                     "--renderer", "diffusion", "--model", "tiny", "--size", "128", "--steps", "2")
    seconds = time.perf_counter() - start
    if diffusion:  # the tiny preset: random weights built on first use, so no download
        ok = result.returncode == 0 and len(decode_frames(ffmpeg, diffused)) == frames
        check(ok, "diffusion renderer (tiny preset) renders the sample",
              f"{seconds:.1f} s" if ok else result.stderr.strip()[-300:])
    else:
        check(result.returncode == 2 and "DIFFUSION=1" in result.stderr
              and not diffused.exists(), "diffusion refused with what to install",
              result.stderr.strip()[:90])

    for label, args in (("welcome page", ()), ("sample project", (str(sample),))):
        name = f"bundle-{label.replace(' ', '-')}.png"
        shot = work / name  # outside the source tree, which the bundle may not see
        result = app.run("gui", "--screenshot", str(shot), *args, timeout=180)
        ok = result.returncode == 0 and shot.is_file() and png_size(shot)[0] >= 640
        said = [line for line in result.stderr.splitlines() if line.startswith(("saved", "error"))]
        check(ok, f"window opens offscreen: {label}", (said or [result.stderr.strip()])[-1][:120])
        if ok:
            shutil.copyfile(shot, shots / name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--no-build", action="store_true", help="test the bundle as it is")
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / NAME,
                        help="the bundle folder to test (default: what make package builds)")
    parser.add_argument("--shots", type=Path, default=ROOT / "build" / "package-test",
                        help="where the window snapshots go")
    args = parser.parse_args()
    diffusion = os.environ.get("DIFFUSION", "") in ("1", "yes", "true")
    check = Check()
    if not args.no_build:
        start = time.perf_counter()
        subprocess.run(["make", "package"], cwd=ROOT, check=True)
        print(f"build: {time.perf_counter() - start:.0f} s", flush=True)
    built = args.bundle
    size = folder_size(built)
    files = sum(1 for f in built.rglob("*") if f.is_file())
    print(f"bundle: {size / 2**20:.0f} MiB in {files} files "
          f"({'with' if diffusion else 'without'} the diffusion renderer)", flush=True)
    check_folder(check, built)

    args.shots.mkdir(parents=True, exist_ok=True)
    hide = can_hide_source()
    print(f"{' and '.join(map(str, HIDDEN))} "
          f"{'hidden from' if hide else 'NOT hidden from (no unshare -m)'} the bundle", flush=True)
    with tempfile.TemporaryDirectory(prefix="studio-bundle-") as tmp:
        work = Path(tmp)
        copy = work / NAME
        shutil.copytree(built, copy, symlinks=True)
        (work / "home").mkdir()
        check_runs(check, Bundle(copy, work / "home", hide), diffusion, work, args.shots)
    if check.failed:
        print(f"{len(check.failed)} check(s) failed: {', '.join(check.failed)}")
        return 1
    print(f"all checks passed; window snapshots in {args.shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
