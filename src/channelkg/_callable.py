"""Make a module callable as its main function.

``channelkg.query`` and ``channelkg.validate`` are functions in the public API, but
they share their names with the modules that define them: once such a module is
imported, the package attribute of that name is the module. Calling it must still
work, so those modules are made callable as their function.
"""

from __future__ import annotations

import sys
import types
from typing import Any


def callable_module(name: str, function: str) -> None:
    """Let module ``name`` be called as its function ``function``."""

    class _CallableModule(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return getattr(self, function)(*args, **kwargs)

    sys.modules[name].__class__ = _CallableModule
