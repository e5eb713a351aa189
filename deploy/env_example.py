"""Regenerate .env.example from elara_bot.config.Settings: ``.venv/bin/python -m deploy.env_example``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from elara_bot.config import Settings

HEADER = """\
# Elara settings. Copy to .env and fill in. Variables use the ELARA_ prefix and __ for nesting.
# Every setting of elara_bot/config.py is listed (regenerate with `python -m deploy.env_example`);
# commented lines show the default."""

# values a production .env must set (uncommented in the example)
REQUIRED = {
    "ELARA_ENV": "prod",
    "ELARA_HOST": "0.0.0.0",
    "ELARA_PUBLIC_URL": "https://shop.example.com",
    "ELARA_AUTH__SESSION_SECRET": "change-me-long-random-string",
    "ELARA_AUTH__ADMIN_API_KEY": "change-me-admin-key",
    "ELARA_PAYMENTS__STRIPE_SECRET_KEY": "sk_test_change_me",
    "ELARA_PAYMENTS__STRIPE_WEBHOOK_SECRET": "whsec_change_me",
}


def _value(default: Any) -> str:
    if default is None or hasattr(default, "get_secret_value"):
        return ""
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, list):
        return str(default).replace("'", '"')
    return str(default)


def lines(model: type[BaseModel] = Settings, prefix: str = "ELARA_") -> list[str]:
    out: list[str] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out += ["", f"# --- {name} ---", *lines(annotation, f"{prefix}{name.upper()}__")]
            continue
        env = f"{prefix}{name.upper()}"
        if field.description:
            out.append(f"# {field.description}")
        default = None if field.default_factory is not None else field.default
        out.append(f"{env}={REQUIRED[env]}" if env in REQUIRED else f"# {env}={_value(default)}")
    return out


def render() -> str:
    container = ["", "# --- container only (read by the image's start command, not by Settings) ---"]
    return "\n".join([HEADER, *lines(), *container, "# ELARA_WORKERS=1", ""])


if __name__ == "__main__":
    Path(".env.example").write_text(render())
