"""Shell completion of the names the commands take: named queries, markets,
organizations, models, partnerships, services, restrictions and any entity.

Names come from the one resolver's index (:class:`channelkg.model.resolve.NameIndex`)
of the graph the command line reads so far (``--data``/``--store`` given before the
word being completed, else the bundled graph). Each node is offered by its slug
(``mainland-china``), markets also by ISO code (``CN``), with its label as help text.
Completion never fails: a graph that cannot be read completes nothing.

Enable it once per shell (see docs/cli.md):

    eval "$(_CHANNELKG_COMPLETE=bash_source channelkg)"   # bash, in ~/.bashrc
    eval "$(_CHANNELKG_COMPLETE=zsh_source channelkg)"    # zsh, in ~/.zshrc
    _CHANNELKG_COMPLETE=fish_source channelkg | source    # fish
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from click.shell_completion import CompletionItem

Completer = Callable[[click.Context, click.Parameter, str], list[CompletionItem]]


def _graph(ctx: click.Context) -> Any:
    from channelkg.graph.open import GraphSpec, open_graph

    params = ctx.params
    return open_graph(GraphSpec(data=tuple(params.get("data") or ()), store=params.get("store"),
                                engine=params.get("engine") or "oxigraph"))


def name_items(index: Any, kind: str, incomplete: str) -> list[CompletionItem]:
    """The completions of ``incomplete`` among the nodes of ``kind`` in ``index``."""
    from channelkg.model.resolve import fold, kind_iris
    from channelkg.rdf.terms import shorten

    want = fold(incomplete)
    by_name: dict[str, str] = {}
    by_label: dict[str, str] = {}
    for iri in index.members(kind_iris(kind)):
        label = index.label(iri)
        curie = shorten(iri)
        names = [*index.codes(iri), curie.split(":", 1)[-1]] if curie != iri else []
        for name in names:
            if fold(name).startswith(want):
                by_name.setdefault(name, label)
            elif want and fold(label).startswith(want):
                by_label.setdefault(name, label)
    items = by_name or by_label  # names first; a label's start when no name fits
    return [CompletionItem(n, help=h) for n, h in sorted(items.items())]


def complete_kind(ctx: click.Context, kind: str, incomplete: str) -> list[CompletionItem]:
    """The nodes of ``kind`` (resolver kinds) that complete ``incomplete``; ``[]`` when
    the graph cannot be read."""
    from channelkg.model.resolve import NameIndex

    try:
        return name_items(NameIndex.of(_graph(ctx)), kind, incomplete)
    except Exception:  # noqa: BLE001 (a shell must never see a traceback)
        return []


def markets(ctx: click.Context, param: click.Parameter, incomplete: str
            ) -> list[CompletionItem]:
    """Complete a market (ISO code or slug)."""
    return complete_kind(ctx, "market", incomplete)


def organizations(ctx: click.Context, param: click.Parameter, incomplete: str
                  ) -> list[CompletionItem]:
    """Complete an organization."""
    return complete_kind(ctx, "organization", incomplete)


def models(ctx: click.Context, param: click.Parameter, incomplete: str
           ) -> list[CompletionItem]:
    """Complete a model, model family or developer."""
    return complete_kind(ctx, "model, family or developer", incomplete)


def partnerships(ctx: click.Context, param: click.Parameter, incomplete: str
                 ) -> list[CompletionItem]:
    """Complete a partnership."""
    return complete_kind(ctx, "partnership", incomplete)


def services(ctx: click.Context, param: click.Parameter, incomplete: str
             ) -> list[CompletionItem]:
    """Complete a service."""
    return complete_kind(ctx, "service", incomplete)


def restrictions(ctx: click.Context, param: click.Parameter, incomplete: str
                 ) -> list[CompletionItem]:
    """Complete a restriction."""
    return complete_kind(ctx, "restriction", incomplete)


def entities(ctx: click.Context, param: click.Parameter, incomplete: str
             ) -> list[CompletionItem]:
    """Complete any entity or claim of the graph."""
    return complete_kind(ctx, "entity", incomplete)


def query_names(ctx: click.Context, param: click.Parameter, incomplete: str
                ) -> list[CompletionItem]:
    """Complete a named query (``channelkg query NAME``), with its title as help."""
    from channelkg.sparql.query import list_queries

    return [CompletionItem(q.name, help=q.title) for q in list_queries()
            if q.name.startswith(incomplete)]


__all__ = ["Completer", "complete_kind", "entities", "markets", "models", "name_items",
           "organizations", "partnerships", "query_names", "restrictions", "services"]
