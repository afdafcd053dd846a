"""Progress of long work (load, import, large views, reports) on standard error.

The library never prints: its long functions take a ``progress`` callback that is
called with one line of text per step. :class:`Progress` is the one renderer of those
lines, and of a running clock for a step that gives no news of its own:

* on a terminal (standard error is a TTY), each step shows as ``… message``, and
  :meth:`Progress.step` keeps a line ``⠋ loading (3.2 s)`` ticking until the step
  ends, then leaves ``loading: done in 11.4 s``;
* otherwise (a pipe, a file, a CI log) it writes nothing at all, so scripts see only
  the command's output and its errors.

Usage in a command::

    bar = Progress()
    with bar.step("loading kg.oxigraph"):
        report = load_into(path, files, progress=bar)
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import TextIO

_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_CLEAR = "\r\x1b[K"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """Renders progress callbacks on standard error, only when it is a terminal.

    Call it with a line of text (it is a library ``progress`` callback); use
    :meth:`step` around work that may take long.
    """

    #: Seconds between two frames of the ticking line.
    interval = 0.2

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _isatty(self.stream) if enabled is None else enabled
        self._lock = threading.Lock()
        self._ticking = ""  # the label of the step whose clock is on the line, if any

    def __call__(self, message: str) -> None:
        """Show one line of progress (nothing when not on a terminal)."""
        if not self.enabled:
            return
        with self._lock:
            self._write(f"{_CLEAR}… {message}\n")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal must not fail the command
            self.enabled = False

    @contextlib.contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Show ``label`` with a running clock while the block runs, then its time."""
        if not self.enabled:
            yield
            return
        start = time.monotonic()
        done = threading.Event()

        def tick() -> None:
            frame = 0
            while not done.wait(self.interval):
                with self._lock:
                    elapsed = time.monotonic() - start
                    self._write(f"{_CLEAR}{_FRAMES[frame % len(_FRAMES)]} {label} "
                                f"({elapsed:.1f} s)")
                frame += 1

        thread = threading.Thread(target=tick, name="channelkg-progress", daemon=True)
        thread.start()
        ok = False
        try:
            yield
            ok = True
        finally:
            done.set()
            thread.join()
            verdict = "done" if ok else "stopped"
            with self._lock:
                self._write(f"{_CLEAR}{label}: {verdict} in "
                            f"{time.monotonic() - start:.1f} s\n")


def progress_for(quiet: bool = False) -> Progress:
    """The progress renderer of a command (``--quiet``: never shows anything)."""
    return Progress(enabled=False) if quiet else Progress()


__all__ = ["Progress", "progress_for"]
