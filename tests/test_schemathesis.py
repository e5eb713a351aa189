"""schemathesis against the live service's own OpenAPI: no input may produce a server error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

MAX_EXAMPLES = 25


def session_header(base_url: str) -> list[str]:
    """An authenticated shopper session, once the sessions route exists."""
    spec = httpx.get(f"{base_url}/openapi.json", timeout=30).json()
    if "/api/v1/sessions" not in spec["paths"]:
        return []
    response = httpx.post(f"{base_url}/api/v1/sessions", json={}, timeout=30)
    assert response.status_code in (200, 201), response.text
    return ["-H", f"Authorization: Bearer {response.json()['token']}"]


@pytest.mark.timeout(300)
def test_no_server_errors(service: str, tmp_path: Path) -> None:
    report = tmp_path / "schemathesis.xml"
    cli = Path(sys.executable).with_name("schemathesis")
    command = [
        str(cli),
        "run",
        f"{service}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "7",
        "--request-timeout",
        "20",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        *session_header(service),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    cases = ElementTree.parse(report).getroot().iter("testcase")
    assert len(list(cases)) >= 3  # every operation was exercised, not just the health checks
