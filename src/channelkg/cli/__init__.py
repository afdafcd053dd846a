"""The ``channelkg`` command line: click commands over the library (parse, one call, render)."""

from channelkg.cli.main import cli, main

__all__ = ["cli", "main"]
