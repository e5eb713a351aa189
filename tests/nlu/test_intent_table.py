"""The README's table of what the offline assistant understands is the one scripts/intent_table.py writes
from the corpus."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from elara_bot.nlu.corpus import INTENTS, MEANINGS, TABLE_END, TABLE_START, intent_table, load

ROOT = Path(__file__).resolve().parents[2]


def _readme_table() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].lstrip("\n")


def test_the_readme_table_is_the_scripts_output() -> None:
    assert _readme_table() == intent_table(), "run: .venv/bin/python scripts/intent_table.py"


def test_the_check_mode_agrees() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "intent_table.py"), "--check"], cwd=ROOT, check=False
    )
    assert done.returncode == 0


def test_every_intent_has_a_meaning_and_two_train_examples() -> None:
    train = {(e.intent, e.text.replace("|", "/")) for e in load("train")}
    rows = intent_table().splitlines()[2:]
    assert [re.match(r"\| `(\w+)`", row).group(1) for row in rows] == list(INTENTS)  # type: ignore[union-attr]
    assert set(MEANINGS) == set(INTENTS)
    for intent, row in zip(INTENTS, rows, strict=True):
        examples = re.findall(r"“([^”]*)”", row)
        assert len(examples) == 2, row
        assert all((intent, text) in train for text in examples), row
