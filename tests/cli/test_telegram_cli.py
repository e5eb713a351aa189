"""``elara telegram set-webhook`` against the Bot API stand-in: the webhook is set, and the bot token shows
nowhere in what the command prints or logs (httpx logs each request's address, ``.../bot<token>/...``); it
is masked as the service's own log masks it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from elara_bot.observability import redact
from tests.stubs.telegram_stub import TelegramStub

ELARA = Path(sys.executable).with_name("elara")


def run_elara(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ELARA_")}
    return subprocess.run(
        [str(ELARA), *args], env={**clean, **env}, cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("verbose", [False, True], ids=["info", "debug"])
def test_set_webhook_never_prints_the_bot_token(stubs: Any, tmp_path: Path, verbose: bool) -> None:
    secret = f"AA{uuid.uuid4().hex}"
    token = f"{uuid.uuid4().int % 9_000_000_000 + 1_000_000_000}:{secret}"  # as @BotFather issues them
    tg: TelegramStub = stubs.parts["telegram"]
    env = {
        "ELARA_TELEGRAM__TOKEN": token,
        "ELARA_TELEGRAM__API_BASE": stubs.base_url,
        "ELARA_LOG_LEVEL": "INFO",
        "ELARA_DATA_DIR": str(tmp_path / "data"),
    }
    args = [*(["-v"] if verbose else []), "telegram", "set-webhook", "https://shop.example.com"]
    done = run_elara(args, env, tmp_path)
    assert done.returncode == 0, done.stderr
    [call] = tg.calls_for(token, "setWebhook")
    assert call.fields["url"] == "https://shop.example.com/webhooks/telegram"
    assert done.stdout.strip() == "webhook set: https://shop.example.com/webhooks/telegram"
    for output in (done.stdout, done.stderr):
        assert token not in output
        assert secret not in output
    # the request was logged, with the token masked exactly as the service's log masks it
    assert "/bot[REDACTED]/setWebhook" in done.stderr
    assert redact(f"POST {stubs.base_url}/bot{token}/setWebhook") in done.stderr
