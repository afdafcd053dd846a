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


class Call:
    """A call handed to :class:`Bounded`: :meth:`result` waits for it."""

    def __init__(self, call: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.call: Callable[..., Any] | None = call
        self.args: tuple[Any, ...] = args
        self.value: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            if self.call is not None:
                self.value = self.call(*self.args)
        except BaseException as err:  # raised again by result(), in the caller's thread
            self.error = err
        finally:
            self.call, self.args = None, ()  # the arguments are let go once it has run
            self.done.set()

    def result(self) -> Any:
        """Wait for the call; its value, or its error raised."""
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


class Bounded:
    """Calls run on at most ``size`` threads. :meth:`submit` waits while ``size`` calls are
    queued or running, so the arguments of at most ``size`` of them are held at once (a
    call's arguments are let go as soon as it has run)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._slots = threading.BoundedSemaphore(size)
        self._todo: list[Call | None] = []
        self._ready = threading.Condition()
        self._threads: list[threading.Thread] = []

    def submit(self, call: Callable[..., Any], *args: Any) -> Call:
        """Start ``call(*args)`` once a thread is free; its :class:`Call`."""
        self._slots.acquire()
        todo = Call(call, args)
        with self._ready:
            self._todo.append(todo)
            self._ready.notify()
        if len(self._threads) < self._size:
            thread = threading.Thread(target=self._work, daemon=True)
            try:
                thread.start()
            except BaseException:  # no thread to run it: the call is not left queued
                with self._ready:
                    if todo in self._todo:
                        self._todo.remove(todo)
                self._slots.release()
                raise
            self._threads.append(thread)
        return todo

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._todo:
                    self._ready.wait()
                todo = self._todo.pop(0)
            if todo is None:
                return
            try:
                todo.run()
            finally:
                self._slots.release()

    def close(self, *, discard: bool = False) -> None:
        """Wait for the calls queued and running (``discard``: drop those not started)."""
        with self._ready:
            if discard:
                for todo in self._todo:
                    if todo is not None:
                        todo.call, todo.args = None, ()
                        todo.error = RuntimeError("the call was dropped before it ran")
            self._todo.extend([None] * len(self._threads))
            self._ready.notify_all()
        for thread in self._threads:
            thread.join()


__all__ = ["Background", "Bounded", "Call"]
