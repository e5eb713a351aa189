"""Load benchmark: N concurrent shopper conversations against a service started on loopback.

    .venv/bin/python -m bench.load --sessions 50 --rounds 4

Starts ``elara serve`` (embedded PostgreSQL, offline model, demo store) in a subprocess with its own data
directory, then each simulated shopper opens a session and runs: search, search, chat turn, add to cart,
checkout (the chat steps only when ``POST /api/v1/chat`` exists). Prints throughput, p50/p95/p99 latency per
step, error counts and the service's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from elara_bot.config import default_data_dir

QUERIES = [
    "waterproof boots under 200",
    "warm jacket",
    "running shoes size 10",
    "coffee grinder",
    "red dress",
    "backpack for hiking",
]


@dataclass
class Sample:
    step: str
    started: float
    seconds: float
    status: int  # 0 means a transport error
    detail: str = ""


def error_text(response: httpx.Response) -> str:
    return "" if response.status_code < 400 else response.text[:200]


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    describe: Callable[[httpx.Response], str] = error_text  # what a sample keeps of its response

    async def call(
        self, client: httpx.AsyncClient, step: str, method: str, url: str, **kwargs: Any
    ) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.samples.append(Sample(step, start, time.perf_counter() - start, 0, type(exc).__name__))
            return None
        detail = self.describe(response)
        self.samples.append(Sample(step, start, time.perf_counter() - start, response.status_code, detail))
        return response


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RssSampler:
    """Peak resident memory of a process and its children, sampled every 100 ms."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.process, *self.process.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass
            self._stop.wait(0.1)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def run_service(data_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """``elara serve`` on a free loopback port; yields (base URL, pid). SIGTERM to the bench stops it too."""
    from elara_bot.embedded import exit_on_signals

    exit_on_signals()  # a killed bench runs the `finally` below, and the service stops its PostgreSQL
    port = free_port()
    env = {
        **os.environ,
        "ELARA_ENV": "test",
        "ELARA_DATA_DIR": str(data_dir),
        "ELARA_HOST": "127.0.0.1",
        "ELARA_PORT": str(port),
        "ELARA_LOG_LEVEL": "WARNING",
        "ELARA_CHAT_RATE_PER_MINUTE": "100000",
        "ELARA_SESSIONS__CREATE_PER_MINUTE": "100000",  # every simulated shopper comes from loopback
        "ELARA_DATABASE__POOL_MAX": "20",
        "HF_HUB_OFFLINE": "1",
        # the model exported for onnxruntime outlives the throw-away data directory: a deployment exports
        # it once, and every later start runs without torch (300 MB less)
        "ELARA_EMBEDDING__ONNX_DIR": str(default_data_dir() / "models"),
        **(extra_env or {}),
    }
    cli = Path(sys.executable).with_name("elara")
    base = f"http://127.0.0.1:{port}"
    data_dir.mkdir(parents=True, exist_ok=True)
    # the service's log goes to a file (see service_log): a pipe nobody reads would fill up and block it
    with service_log(data_dir, base).open("wb") as log:
        proc = subprocess.Popen([str(cli), "serve"], env=env, stderr=log)
    try:
        wait_ready(base, proc, service_log(data_dir, base))
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def service_log(data_dir: Path, base: str) -> Path:
    """Where ``run_service`` writes the stderr (JSON log lines) of the service at ``base``."""
    return data_dir / f"service-{httpx.URL(base).port}.log"


def wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited: {log.read_text(errors='replace')[-4000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError("the service did not become ready")


async def shopper(
    client: httpx.AsyncClient, rec: Recorder, rounds: int, has_chat: bool, think_s: float = 0.0
) -> None:
    rng = random.Random()

    async def think() -> None:  # a person reads the reply and types the next message
        if think_s:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)

    if think_s:  # people arrive at different moments, not all in the same second
        await asyncio.sleep(rng.uniform(0, 2 * think_s))

    response = await rec.call(client, "session", "POST", "/api/v1/sessions", json={})
    headers = {}
    if response is not None and response.status_code < 300:
        headers = {"Authorization": f"Bearer {response.json()['token']}"}
    for _ in range(rounds):
        query = rng.choice(QUERIES)
        await think()
        found = await rec.call(client, "search", "GET", "/api/v1/products/search", params={"q": query})
        sku = first_sku(found)
        if not has_chat or not headers:
            continue
        await think()
        await rec.call(client, "chat", "POST", "/api/v1/chat", json={"message": query}, headers=headers)
        if sku is not None:
            action = {"message": "add it", "action": f"add:{sku}:1"}
            await think()
            await rec.call(client, "add", "POST", "/api/v1/chat", json=action, headers=headers)
            checkout = {"message": "checkout", "action": "checkout"}
            await think()
            await rec.call(client, "checkout", "POST", "/api/v1/chat", json=checkout, headers=headers)


def first_sku(response: httpx.Response | None) -> str | None:
    if response is None or response.status_code != 200:
        return None
    for hit in response.json().get("hits", []):
        for variant in hit.get("matching_variants") or hit["product"]["variants"]:
            if variant.get("in_stock"):
                return str(variant["sku"])
    return None


async def drive(base: str, sessions: int, rounds: int, think_s: float = 0.0) -> tuple[Recorder, float]:
    rec = Recorder()
    limits = httpx.Limits(max_connections=sessions, max_keepalive_connections=sessions)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        spec = (await client.get("/openapi.json")).json()
        has_chat = "/api/v1/chat" in spec["paths"]
        start = time.perf_counter()
        await asyncio.gather(*(shopper(client, rec, rounds, has_chat, think_s) for _ in range(sessions)))
        return rec, time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(rec: Recorder, elapsed: float, peak_rss: int, sessions: int, think_ms: int = 0) -> None:
    steps = sorted({s.step for s in rec.samples})
    print(
        f"{sessions} concurrent sessions (think time {think_ms} ms), {len(rec.samples)} requests"
        f" in {elapsed:.1f}s "
        f"= {len(rec.samples) / elapsed:.1f} req/s; peak service RSS {peak_rss / 2**20:.0f} MB"
    )
    print(f"{'step':<10}{'count':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for step in [*steps, "ALL"]:
        rows = [s for s in rec.samples if step in (s.step, "ALL")]
        ms = [s.seconds * 1000 for s in rows]
        errors = sum(1 for s in rows if s.status == 0 or s.status >= 400)
        print(
            f"{step:<10}{len(rows):>7}{errors:>8}{percentile(ms, 50):>9.1f}"
            f"{percentile(ms, 95):>9.1f}{percentile(ms, 99):>9.1f}"
        )
    for sample in {(s.step, s.status, s.detail) for s in rec.samples if s.status == 0 or s.status >= 400}:
        print("error:", *sample)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--think-ms", type=int, default=0, help="mean pause before each request (0: a closed loop)"
    )
    parser.add_argument("--data-dir", type=Path, help="the service data directory (default: a temporary one)")
    parser.add_argument("--url", help="drive an already running service instead of starting one")
    args = parser.parse_args()
    think_s = args.think_ms / 1000
    if args.url:
        rec, elapsed = asyncio.run(drive(args.url, args.sessions, args.rounds, think_s))
        report(rec, elapsed, 0, args.sessions, args.think_ms)
        return
    with tempfile.TemporaryDirectory(prefix="elara-bench-") as scratch:
        data_dir = args.data_dir or Path(scratch)
        with run_service(data_dir) as (base, pid), RssSampler(pid) as rss:
            asyncio.run(drive(base, 5, 1))  # warm-up: model, caches, pool
            rec, elapsed = asyncio.run(drive(base, args.sessions, args.rounds, think_s))
    report(rec, elapsed, rss.peak, args.sessions, args.think_ms)


if __name__ == "__main__":
    main()
