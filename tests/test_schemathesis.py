"""schemathesis against the live service's own OpenAPI: all phases, all checks, zero failures.

The same run as ``bench/fuzz.py`` (which runs it at 500 examples), at an example count that keeps this test
within about five minutes on two busy cores. Every request carries a shopper's bearer token and the admin
key, so the authenticated routes are exercised past their 401. No check is excluded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from bench.fuzz import run_fuzz, summary

MAX_EXAMPLES = 25
ADMIN_KEY = "schemathesis-admin-key"
PHASES = {"examples", "coverage", "fuzzing", "stateful"}


@pytest.fixture
def fuzz_service(live_service: Callable[..., AbstractContextManager[str]]) -> Iterator[str]:
    with live_service(auth={"admin_api_key": ADMIN_KEY}) as base_url:
        yield base_url


@pytest.mark.timeout(420)
def test_all_phases_and_checks_find_nothing(fuzz_service: str) -> None:
    result = run_fuzz(fuzz_service, max_examples=MAX_EXAMPLES, admin_key=ADMIN_KEY, timeout_s=400)
    report = "\n".join(summary(result, MAX_EXAMPLES)) + "\n" + result.output[-8000:]
    assert result.failures == [], report
    assert result.errors == [], report
    assert result.exit_code == 0, report
    # every operation was exercised, by every phase (stateful runs on the spec's links)
    assert result.operations["tested"] == result.operations["selected"] >= 20, report
    assert result.phases == dict.fromkeys(PHASES, "success"), report
    assert result.cases >= 500, report
