"""The ``channelkg`` command line: click commands over the library (parse, one call, render).

``main`` is the entry point (:mod:`channelkg.cli.entry`, which loads click only when a
command needs it); ``cli``, the click group, is imported on first use.
"""

from __future__ import annotations

from channelkg.cli.entry import main

TYPE_CHECKING = False  # the entry point imports nothing it does not use, not even typing
if TYPE_CHECKING:
    from typing import Any

    from channelkg.cli.main import cli


def __getattr__(name: str) -> Any:
    if name == "cli":
        from channelkg.cli.main import cli

        return cli
    raise AttributeError(f"module 'channelkg.cli' has no attribute {name!r}")


__all__ = ["cli", "main"]
