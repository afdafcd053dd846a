"""Where the shipped ontology, shapes, curated graph and named queries live.

In a source checkout (or an editable install) these are the repository's
``ontology/`` and ``graphs/`` folders; in a wheel they are packaged under
``channelkg/_data``. ``CHANNELKG_HOME`` points at another checkout.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@cache
def project_root() -> Path:
    """Return the folder that holds ``ontology/`` and ``graphs/``."""
    env = os.environ.get("CHANNELKG_HOME")
    if env:
        return Path(env)
    repo = _PKG.parent.parent
    if (repo / "ontology" / "channelkg.ttl").is_file():
        return repo
    return _PKG / "_data"


def ontology_dir() -> Path:
    return project_root() / "ontology"


def ontology_file() -> Path:
    return ontology_dir() / "channelkg.ttl"


def shapes_file() -> Path:
    return ontology_dir() / "shapes.ttl"


def graphs_dir() -> Path:
    return project_root() / "graphs"


def output_dir(kind: str) -> Path:
    """Where generated files of ``kind`` (``views``, ``reports``) go by default.

    ``graphs/<kind>`` of the project (the checkout, or ``CHANNELKG_HOME``); when the
    bundled data is packaged, ``graphs/<kind>`` of the working directory, never the
    installed package.

    Args:
        kind: the sub-folder of ``graphs/``.

    Returns:
        The folder (not created).
    """
    root = project_root()
    base = Path.cwd() if root == _PKG / "_data" else root
    return base / "graphs" / kind


def default_data_files() -> list[Path]:
    """The curated graph: every ``graphs/*.ttl`` file, sorted (as ``glob("*.ttl")``
    finds them, without compiling its pattern)."""
    folder = graphs_dir()
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(folder / name for name in names if name.endswith(".ttl"))


def queries_dir() -> Path:
    """The shipped named queries (``*.rq``)."""
    return _PKG / "sparql" / "queries"


def rules_dir() -> Path:
    """The shipped CONSTRUCT rules (``*.rq``)."""
    return _PKG / "sparql" / "rules"


def check_rules_dir() -> Path:
    """The shipped data-quality rules of ``channelkg check`` (``*.rq``)."""
    return _PKG / "check" / "rules"


def assets_dir() -> Path:
    """The view page's script, style, template and collapse rules."""
    return _PKG / "render" / "assets"


def vendor_dir() -> Path:
    """Third-party files shipped unmodified with their licences (vis-network)."""
    return assets_dir() / "vendor"


def static_dir() -> Path:
    """The query page served by ``channelkg serve``."""
    return _PKG / "serve" / "static"
