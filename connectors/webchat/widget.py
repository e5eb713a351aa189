"""``GET /widget.js``: the embeddable chat widget, with an ETag and a day of caching.

The app's compression middleware sends it brotli- or gzip-encoded to browsers that accept either; the ETag
is weak because the compressed and the plain bytes are representations of the same script."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import Response

router = APIRouter(tags=["web chat"])

WIDGET_CACHE = "public, max-age=86400, stale-while-revalidate=604800"


@dataclass(frozen=True)
class Widget:
    body: bytes
    etag: str


@lru_cache(maxsize=1)
def widget_script() -> Widget:
    body = resources.files("connectors.webchat").joinpath("widget.js").read_bytes()
    return Widget(body=body, etag='W/"' + hashlib.sha256(body).hexdigest()[:32] + '"')


@router.get("/widget.js", include_in_schema=False)
async def widget_js(request: Request) -> Response:
    widget = widget_script()
    headers = {"Cache-Control": WIDGET_CACHE, "ETag": widget.etag, "X-Content-Type-Options": "nosniff"}
    wanted = {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}
    if widget.etag.removeprefix("W/") in wanted:
        return Response(status_code=304, headers=headers)
    return Response(widget.body, media_type="text/javascript; charset=utf-8", headers=headers)
