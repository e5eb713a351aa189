"""``GET /widget.js`` behind the app's compression: the ETag names every encoding (weak), a match answers 304
whichever form the browser sends back, brotli or gzip only on request, and the script parses as the widget
(one file, no build step)."""

from __future__ import annotations

import gzip
import re

import brotli
from fastapi import FastAPI
from fastapi.testclient import TestClient

from connectors.webchat import widget
from elara_bot.app import add_compression


def client() -> TestClient:
    app = FastAPI()
    add_compression(app)
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

    def test_compressed_on_request_only(self) -> None:
        with client() as http:
            raw = http.get("/widget.js", headers={"Accept-Encoding": "identity"})
            assert "content-encoding" not in raw.headers
            assert raw.content == widget.widget_script().body
            for accepted, sent, decode in (
                ("gzip", "gzip", gzip.decompress),
                ("br", "br", brotli.decompress),
                ("gzip, deflate, br, zstd", "br", brotli.decompress),
            ):
                with http.stream("GET", "/widget.js", headers={"Accept-Encoding": accepted}) as packed:
                    assert packed.headers["content-encoding"] == sent
                    wire = b"".join(packed.iter_raw())
                assert decode(wire) == raw.content  # the same script
                assert len(wire) < len(raw.content) / 2

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
