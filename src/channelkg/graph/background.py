"""Calls run on other threads, for the file and store I/O of a load.

Reading and hashing files, syncing them and opening a RocksDB store let go of the
interpreter lock, so they overlap the parse, which holds it. :meth:`Background.result`
waits for the call, then returns its value or raises its error in the caller's thread.
:class:`Bounded` runs many such calls (the copies of the changed files) on a few threads.
"""

from __future__ import annotations

import threading

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class Background:
    """``call(*args)`` started on a thread of its own."""

    def __init__(self, call: Callable[..., Any], *args: Any) -> None:
        self.value: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(call, args), daemon=True)
        self.thread.start()

    def _run(self, call: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            self.value = call(*args)
        except BaseException as err:  # raised again by result(), in the caller's thread
            self.error = err

    def result(self) -> Any:
        """Wait for the call; its value, or its error raised."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.value

    def discard(self) -> None:
        """Wait for the call and let go of its value and error (an opened store closes)."""
        self.thread.join()
        self.value = self.error = None


class Bounded:
    """Calls run on at most ``size`` threads. :meth:`submit` waits while ``size`` calls are
    running, so the arguments of at most ``size`` of them are held at once (a call's
    arguments are let go as soon as it has run)."""

    def __init__(self, size: int) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self._calls: list[Background] = []

    def submit(self, call: Callable[..., Any], *args: Any) -> Background:
        """Start ``call(*args)`` once a thread is free; its :class:`Background`."""
        self._slots.acquire()
        try:
            started = Background(self._run, call, args)
        except BaseException:
            self._slots.release()
            raise
        self._calls.append(started)
        return started

    def _run(self, call: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        try:
            return call(*args)
        finally:
            self._slots.release()

    def close(self, *, discard: bool = False) -> None:
        """Wait for the calls running (``discard``: and let go of their values and errors)."""
        for started in self._calls:
            if discard:
                started.discard()
            else:
                started.thread.join()


__all__ = ["Background", "Bounded"]
