"""Issue 18, item 4: operators (and, when loud, shoppers) see that the offline fallback answered.

A live service talks to the scripted OpenAI-compatible stand-in through `ChatOpenAI` over HTTP; the stand-in
fails on cue (HTTP 500, an empty answer). Each test checks the metric per failure kind, the structured log
line, `/readyz`, or the reply text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from elara_bot.config import LLMSettings
from elara_bot.conversation import model_health
from elara_bot.conversation.model_health import ModelHealth
from elara_bot.conversation.service import APOLOGY, FALLBACK_NOTICE
from elara_bot.observability import JsonFormatter
from tests.conversation.helpers import (
    metric_total,
)

FAIL = {"fail": 500}  # ChatOpenAI raises (langchain-openai's) OpenAIAPIError, status 500: kind "http_500"
FALLBACKS = "elara_llm_fallbacks_total"


@pytest.fixture
def openai_shopper(openai_shopper: Callable[..., Any]) -> Callable[..., Any]:
    """The shared fixture with no retries: one scripted step per model call."""
    return lambda **overrides: openai_shopper(**{"max_retries": 0, **overrides})


def _chat_model(client: httpx.Client) -> str:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"
    return str(response.json()["checks"]["chat_model"])


def _fallback_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(r)) for r in caplog.records if getattr(r, "fields", None)]
    return [line for line in lines if line.get("event") == "llm_fallback"]


class TestFallbackMetricsAndLogs:
    def test_each_failure_kind_is_counted_and_logged(
        self, openai_shopper: Callable[..., Any], llm: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        llm.reset([FAIL, {"content": ""}, {"content": "Hello!"}])
        caplog.set_level(logging.WARNING, logger="elara_bot.conversation.service")
        with openai_shopper() as shopper:

            def count(kind: str) -> float:
                return metric_total(shopper.client, FALLBACKS, kind=kind, answer="offline")

            before = {kind: count(kind) for kind in ("http_500", "empty_answer")}
            assert shopper.say("show me headphones")["text"] != APOLOGY
            assert count("http_500") == before["http_500"] + 1
            assert count("empty_answer") == before["empty_answer"]
            assert shopper.say("show me headphones")["text"] != APOLOGY
            assert count("empty_answer") == before["empty_answer"] + 1
            assert count("http_500") == before["http_500"] + 1
            total = metric_total(shopper.client, FALLBACKS)
            assert shopper.say("hi")["text"] == "Hello!"  # the hosted model answered: nothing counted
            assert metric_total(shopper.client, FALLBACKS) == total
        lines = _fallback_lines(caplog)
        assert [(line["kind"], line["answer"]) for line in lines] == [
            ("http_500", "offline"),
            ("empty_answer", "offline"),
        ]
        assert [line["failures_in_a_row"] for line in lines] == [1, 2]
        assert lines[0]["level"] == "WARNING"

    def test_without_fallback_the_apology_is_counted(
        self, openai_shopper: Callable[..., Any], llm: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        llm.reset([FAIL])
        caplog.set_level(logging.WARNING, logger="elara_bot.conversation.service")
        with openai_shopper(fallback_to_offline=False) as shopper:
            before = metric_total(shopper.client, FALLBACKS, kind="http_500", answer="apology")
            assert shopper.say("hello")["text"] == APOLOGY
            after = metric_total(shopper.client, FALLBACKS, kind="http_500", answer="apology")
            assert after == before + 1
        assert [line["answer"] for line in _fallback_lines(caplog)] == ["apology"]


class TestReadiness:
    def test_degraded_after_failures_in_a_row_and_back_after_a_success(
        self, openai_shopper: Callable[..., Any], llm: Any
    ) -> None:
        hello = {"content": "Hello!"}
        llm.reset([FAIL, FAIL, hello, FAIL, FAIL, {"content": ""}, hello])
        with openai_shopper(degraded_after=3) as shopper:
            assert _chat_model(shopper.client) == "ok"
            shopper.say("hi")
            shopper.say("hi")
            assert _chat_model(shopper.client) == "ok"  # two in a row: not yet
            assert shopper.say("hi")["text"] == "Hello!"  # a success clears the streak
            shopper.say("hi")
            shopper.say("hi")
            assert _chat_model(shopper.client) == "ok"
            shopper.say("hi")
            state = _chat_model(shopper.client)
            assert state.startswith("degraded: 3 failures in a row")
            assert "http_500 x2, empty_answer" in state
            assert "the offline model answers" in state
            assert shopper.say("hi")["text"] == "Hello!"
            assert _chat_model(shopper.client) == "ok"

    def test_degraded_without_fallback_stays_ready(
        self, openai_shopper: Callable[..., Any], llm: Any
    ) -> None:
        llm.reset([FAIL, FAIL])
        with openai_shopper(fallback_to_offline=False, degraded_after=2) as shopper:
            shopper.say("hi")
            shopper.say("hi")
            assert "shoppers get an apology" in _chat_model(shopper.client)

    def test_button_turns_neither_fail_nor_clear_the_streak(
        self, openai_shopper: Callable[..., Any], llm: Any
    ) -> None:
        """A button press runs its calls without the hosted model: it says nothing of its health."""
        llm.reset([FAIL, FAIL])
        with openai_shopper(degraded_after=2) as shopper:
            shopper.say("hi")
            shopper.say("hi")
            assert _chat_model(shopper.client).startswith("degraded")
            shopper.say("", action="view_cart")
            assert _chat_model(shopper.client).startswith("degraded")
            assert len(llm.requests) == 2

    def test_old_failures_leave_the_window(self, monkeypatch: pytest.MonkeyPatch) -> None:
        now = [1000.0]
        monkeypatch.setattr(model_health.time, "monotonic", lambda: now[0])
        health = ModelHealth()
        health.failed("timeout")
        now[0] += 200
        health.failed("timeout")
        assert health.degraded(2, 300) == "2 failures in a row (timeout x2)"
        now[0] += 150  # the first is now 350 s old
        assert health.degraded(2, 300) is None
        health.failed("empty_answer")
        assert health.degraded(2, 300) == "2 failures in a row (timeout, empty_answer)"
        health.succeeded()
        assert health.degraded(1, 300) is None


class TestNotice:
    def test_loud_is_the_default(self) -> None:
        assert LLMSettings().fallback_notice == "loud"

    @pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
    def test_loud_fallback_tells_the_shopper(
        self, openai_shopper: Callable[..., Any], llm: Any, stream: bool
    ) -> None:
        llm.reset([FAIL, {"content": "Hello!"}])
        with openai_shopper(fallback_notice="loud") as shopper:
            if stream:
                text = str(shopper.stream("show me headphones")[-1][1]["text"])
            else:
                text = str(shopper.say("show me headphones")["text"])
            assert text.endswith(FALLBACK_NOTICE)
            assert text != FALLBACK_NOTICE  # the offline model's answer comes first
            assert shopper.messages()[1]["text"] + "\n\n" + FALLBACK_NOTICE == text  # a note, not history
            assert shopper.say("hi")["text"] == "Hello!"  # the hosted model's replies carry no note

    def test_silent_fallback_adds_nothing(self, openai_shopper: Callable[..., Any], llm: Any) -> None:
        llm.reset([FAIL])
        with openai_shopper(fallback_notice="silent") as shopper:
            before = metric_total(shopper.client, FALLBACKS)
            reply = shopper.say("show me headphones")
            assert FALLBACK_NOTICE not in reply["text"]
            assert reply["text"] not in ("", APOLOGY)
            assert any(part["type"] == "product_cards" for part in reply["parts"])
            assert metric_total(shopper.client, FALLBACKS) == before + 1  # silent to the shopper only
