"""Write the README's table of what the offline assistant understands, from the NLU corpus.

The table (each intent of `elara_bot.nlu.corpus.INTENTS`, its meaning and two examples from the train
split) replaces what stands between ``<!-- intents:start -->`` and ``<!-- intents:end -->`` in README.md.
``--check`` changes nothing and exits 1 when the README's table is not the corpus's.

    .venv/bin/python scripts/intent_table.py [--check]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from elara_bot.nlu.corpus import TABLE_END, TABLE_START, intent_table

README = Path(__file__).resolve().parent.parent / "README.md"


def replaced(readme: str, table: str) -> str:
    """``readme`` with ``table`` between the markers (each marker on its own line)."""
    head, start, rest = readme.partition(TABLE_START)
    _, end, tail = rest.partition(TABLE_END)
    if not start or not end:
        raise SystemExit(f"{README.name} has no {TABLE_START} ... {TABLE_END} section")
    return f"{head}{start}\n{table}{end}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the README's table is stale")
    args = parser.parse_args()
    readme = README.read_text(encoding="utf-8")
    updated = replaced(readme, intent_table())
    if args.check:
        return 0 if updated == readme else 1
    if updated != readme:
        README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
