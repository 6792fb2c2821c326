"""The pinned Qt binding must survive a long editing session.

PySide6 6.12.0 dropped a reference to True/False on every Signal.emit(); after about a thousand
emits the interpreter aborted (bool_dealloc). The studio emits far more than that in an hour, so
the pin is guarded here, in a child process, since the failure is a hard abort.
"""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal

class Emitter(QObject):
    changed = Signal(int)
    moved = Signal(object)

app = QCoreApplication([])
emitter = Emitter()
seen = []
emitter.changed.connect(seen.append)
before = sys.getrefcount(True), sys.getrefcount(False)
for i in range(20000):
    emitter.changed.emit(i)
    emitter.moved.emit([i])
after = sys.getrefcount(True), sys.getrefcount(False)
print(len(seen), before == after)
"""


def test_many_signal_emits_leave_the_interpreter_intact():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["20000", "True"]
