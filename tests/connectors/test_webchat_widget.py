"""``GET /widget.js`` on its own: the ETag names both encodings (weak), a match answers 304 whichever form
the browser sends back, and the script parses as the widget (one file, no build step)."""

from __future__ import annotations

import gzip
import re

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.testclient import TestClient

from connectors.webchat import widget


def client() -> TestClient:
    app = FastAPI()
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.include_router(widget.router)
    return TestClient(app)


class TestWidgetScript:
    def test_weak_etag_matches_either_form(self) -> None:
        with client() as http:
            first = http.get("/widget.js", headers={"Accept-Encoding": "gzip"})
            assert first.status_code == 200
            etag = first.headers["etag"]
            assert re.fullmatch(r'W/"[0-9a-f]{32}"', etag)
            for sent in (etag, etag.removeprefix("W/"), f'"other", {etag}'):
                assert http.get("/widget.js", headers={"If-None-Match": sent}).status_code == 304
            assert http.get("/widget.js", headers={"If-None-Match": '"other"'}).status_code == 200

    def test_gzipped_on_request_only(self) -> None:
        with client() as http:
            raw = http.get("/widget.js", headers={"Accept-Encoding": "identity"})
            assert "content-encoding" not in raw.headers
            packed = http.get("/widget.js", headers={"Accept-Encoding": "gzip"})
            assert packed.headers["content-encoding"] == "gzip"
            assert packed.content == raw.content  # decoded by the client: the same script
            assert len(gzip.compress(raw.content)) < len(raw.content) / 2

    def test_ships_four_message_catalogues(self) -> None:
        script = widget.widget_script().body.decode()
        for lang in ("en", "de", "fr", "es"):
            assert re.search(rf"\n    {lang}: {{\n", script), lang
        blocks = re.split(r"\n    (?:en|de|fr|es): \{\n", script)[1:5]
        keys = [
            set(re.findall(r"(?:^\s*|, )(\w+): [\"{]", block.split("\n    },")[0], re.MULTILINE))
            for block in blocks
        ]
        assert len(keys[0]) > 60
        assert keys[0] == keys[1] == keys[2] == keys[3]  # every language has every message
