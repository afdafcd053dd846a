"""One call run on a second thread, for the file and store I/O of a load.

Reading and hashing files, syncing them and opening a RocksDB store let go of the
interpreter lock, so they overlap the parse, which holds it. :meth:`Background.result`
waits for the call, then returns its value or raises its error in the caller's thread.
"""

from __future__ import annotations

import threading
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


__all__ = ["Background"]
