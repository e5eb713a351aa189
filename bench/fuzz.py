"""Fuzz run: schemathesis against the service's own OpenAPI, all phases and all checks.

    .venv/bin/python -m bench.fuzz --max-examples 500

Starts ``elara serve`` (embedded PostgreSQL, offline model, demo store) on loopback, opens a shopper session,
then runs ``schemathesis run`` with every phase (examples, coverage, fuzzing, stateful: the spec's links
chain a listed product into the cart, the cart's line into its edits and a checkout into the order routes)
and every check (``--checks all``), the shopper's bearer token and the admin key on every request. Prints
the operations tested, the test cases generated, the failures and errors by kind, the phases and the time.
tests/test_schemathesis.py runs the same at a smaller example count.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PHASES = "examples,coverage,fuzzing,stateful"
ADMIN_KEY = "fuzz-admin-key"


@dataclass
class FuzzResult:
    exit_code: int
    seconds: float
    report: dict[str, Any]
    output: str = field(repr=False)

    @property
    def failures(self) -> list[dict[str, Any]]:
        return list(self.report.get("failures", []))

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.report.get("errors", []))

    @property
    def cases(self) -> int:
        return int(self.report["test_cases"]["generated"])

    @property
    def operations(self) -> dict[str, Any]:
        return dict(self.report["operations"])

    @property
    def phases(self) -> dict[str, str]:
        return {name: str(phase["status"]) for name, phase in self.report["phases"].items()}

    @property
    def failure_count(self) -> int:
        """Unique failures (the report groups them by kind, each with its count)."""
        return sum(int(kind.get("count", 1)) for kind in self.failures)


def open_session(base_url: str) -> str:
    response = httpx.post(f"{base_url}/api/v1/sessions", timeout=30)
    response.raise_for_status()
    return str(response.json()["token"])


def command(
    base_url: str, *, max_examples: int, seed: int, report_dir: Path, headers: dict[str, str]
) -> list[str]:
    cli = Path(sys.executable).with_name("schemathesis")
    args = [
        str(cli),
        "run",
        f"{base_url}/openapi.json",
        "--phases",
        PHASES,
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--continue-on-failure",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",  # nothing written into the working tree; the seed makes a run repeatable
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report_dir / "schemathesis.json"),
    ]
    for name, value in headers.items():
        args += ["--header", f"{name}: {value}"]
    return args


def run_fuzz(
    base_url: str, *, max_examples: int, seed: int = 7, admin_key: str = ADMIN_KEY, timeout_s: float = 3600
) -> FuzzResult:
    """One schemathesis run against ``base_url`` as a fresh shopper (and the admin)."""
    headers = {"Authorization": f"Bearer {open_session(base_url)}", "X-Admin-Key": admin_key}
    with tempfile.TemporaryDirectory(prefix="elara-fuzz-") as scratch:
        args = command(
            base_url, max_examples=max_examples, seed=seed, report_dir=Path(scratch), headers=headers
        )
        started = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s, check=False)
        seconds = time.perf_counter() - started
        report = json.loads((Path(scratch) / "schemathesis.json").read_text())
    return FuzzResult(done.returncode, seconds, report, done.stdout + done.stderr)


def failure_kinds(result: FuzzResult) -> list[str]:
    lines = []
    for kind in result.failures:
        where = ", ".join(kind.get("operations", []))
        lines.append(f"{kind.get('code')} {kind.get('title')}: {kind.get('count')} in {where}")
    return lines


def summary(result: FuzzResult, max_examples: int) -> list[str]:
    ops = result.operations
    lines = [
        f"schemathesis {result.report.get('schemathesis_version')}, seed {result.report.get('seed')}, "
        f"--max-examples {max_examples}, phases {PHASES}, --checks all",
        f"operations: {ops['tested']} tested of {ops['selected']} selected ({ops['total']} in the spec)",
        f"test cases: {result.cases} generated, {result.report['test_cases']['with_failures']} with failures",
        f"failures: {result.failure_count}; errors: {len(result.errors)}",
        "phases: " + ", ".join(f"{name} {status}" for name, status in result.phases.items()),
        f"time: {result.seconds:.0f} s",
    ]
    lines += [f"  failure: {kind}" for kind in failure_kinds(result)]
    lines += [f"  error: {json.dumps(error)[:300]}" for error in result.errors]
    return lines


def main() -> None:
    from bench.load import run_service

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, help="the service data directory (default: a temporary one)")
    parser.add_argument("--url", help="fuzz an already running service (its admin key: --admin-key)")
    parser.add_argument("--admin-key", default=ADMIN_KEY)
    args = parser.parse_args()
    if args.url:
        result = run_fuzz(args.url, max_examples=args.max_examples, seed=args.seed, admin_key=args.admin_key)
    else:
        with tempfile.TemporaryDirectory(prefix="elara-bench-") as scratch:
            data_dir = args.data_dir or Path(scratch)
            env = {"ELARA_AUTH__ADMIN_API_KEY": args.admin_key}
            with run_service(data_dir, env) as (base, _pid):
                result = run_fuzz(
                    base, max_examples=args.max_examples, seed=args.seed, admin_key=args.admin_key
                )
    print("\n".join(summary(result, args.max_examples)))  # noqa: T201 - a bench reports on stdout
    if result.failures or result.errors:
        print(result.output[-20_000:])  # noqa: T201
    sys.exit(1 if result.exit_code else 0)


if __name__ == "__main__":
    main()
