"""The routes of the query page as an explorer: entity pages and the vendored graph library.

* ``GET /entity/<slug>`` (``?part=map``, ``?part=json``): see :mod:`channelkg.serve.entity`;
  built in a query worker, under the same time limit as a query.
* ``GET /static/vendor/<file>``: vis-network and its licences, served from the one vendored
  copy (``render/assets/vendor``) that the view pages inline.

The query page itself (``/``, ``/static/*``) is made of static files: ``index.html``,
``app.js`` (editor, parameters, the state in the URL, downloads), ``views.js`` (table,
graph, timeline and bar-chart views) and ``charts.js`` (the SVG timeline and bars, shared
with the entity pages). No page runs inline script, and none loads anything from another host.
"""

from __future__ import annotations

from typing import Any

from channelkg import resources
from channelkg.serve.entity import PARTS, EntityJob

_MEDIA = {".js": "text/javascript", ".css": "text/css", ".txt": "text/plain", ".md": "text/plain"}


def routes(pool: Any, *, title: str = "channelkg") -> list[Any]:
    """Starlette routes for ``/entity/…`` and ``/static/vendor/…`` around a worker pool."""
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import FileResponse, PlainTextResponse, Response
    from starlette.routing import Route

    async def entity(request: Request) -> Response:
        part = request.query_params.get("part", "page")
        if part not in PARTS:
            return PlainTextResponse(f"part must be one of {', '.join(PARTS)}\n", status_code=400)
        job = EntityJob(request.path_params["ref"], part, title)
        reply = await run_in_threadpool(pool.call, job)
        return Response(reply.body, status_code=reply.status, media_type=reply.media,
                        headers=reply.headers)

    vendor = resources.vendor_dir()
    files = {p.name: p for p in vendor.iterdir() if p.is_file()} if vendor.is_dir() else {}

    async def vendored(request: Request) -> Response:
        path = files.get(request.path_params["name"])
        if path is None:
            return PlainTextResponse("not found\n", status_code=404)
        media = _MEDIA.get(path.suffix, "application/octet-stream")
        return FileResponse(path, media_type=media + "; charset=utf-8")

    return [
        Route("/entity/{ref:path}", entity),
        Route("/static/vendor/{name}", vendored),
    ]


__all__ = ["routes"]
