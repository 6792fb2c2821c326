"""MediaPipe's native log lines are silenced without silencing the studio's own messages."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import os, sys, threading
    from studio.analysis.native_logs import quiet_native_logs

    inside, release = threading.Event(), threading.Event()

    def analysis(name):
        with quiet_native_logs():
            os.write(2, f"native log from {name}\\n".encode())  # what MediaPipe's C++ does
            inside.set()
            release.wait()

    first = threading.Thread(target=analysis, args=("first",))
    first.start()
    inside.wait()
    inside.clear()
    second = threading.Thread(target=analysis, args=("second",))  # overlaps the first
    second.start()
    inside.wait()
    print("error: the window thread reports while analyses run", file=sys.stderr, flush=True)
    release.set()
    first.join()
    second.join()
    os.write(2, b"native log after both\\n")
""")


def test_python_messages_pass_while_native_logs_are_silenced():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            timeout=60, check=True)
    lines = result.stderr.splitlines()
    assert "error: the window thread reports while analyses run" in lines
    assert "native log from first" not in lines and "native log from second" not in lines
    # overlapping silences give the descriptor back only once, when the last one ends
    assert lines[-1] == "native log after both"
