"""Chat benchmark: N concurrent shoppers holding whole conversations through ``POST /api/v1/chat``.

    .venv/bin/python -m bench.chat [--sessions 1,10,50] [--turns 6] [--think-ms 0] [--profile 30]

Starts the real service (``elara serve``: uvicorn on loopback, the offline model, an embedded PostgreSQL in
a temporary data directory, the demo store) with the chat rate limit raised, then for each session count
runs that many shoppers at once. Each shopper opens a session and talks: a search, "add the first one"
(and "the first one" when the assistant asks which variant), "make it 2", "show my cart", "checkout",
"what's the status of order N" (then again, for more turns).
Prints one row per session count: turns, turns/s, p50/p95/p99 turn latency, errors (HTTP errors and
timeouts), refused (answered, but without the part the turn should produce: e.g. another shopper bought
the last one), the server's peak RSS (the uvicorn process alone, and with its PostgreSQL) and the CPU
milliseconds per turn of each.

With ``--think-ms`` each shopper pauses between turns (people read and type): without it the load is a
closed loop, where latency is simply sessions / throughput. ``--profile N`` also runs N turns in-process
under cProfile (same database) and prints where a turn's time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import random
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.load import percentile, run_service

SEARCHES = [
    "show me headphones",
    "running shoes",
    "water bottle",
    "backpack",
    "yoga mat",
    "desk lamp",
    "coffee maker",
    "t-shirt",
    "bluetooth speaker",
    "gaming mouse",
]
ORDINALS = ["first"]  # a chat search shows only the kind asked for: often a single product
# what a turn's reply must carry to count as answered
EXPECTED = {
    "search": "product_cards",
    "add": "cart",
    "choose": "cart",  # the answer to "which size?" when the add asked one
    "quantity": "cart",
    "cart": "cart",
    "checkout": "checkout_link",
    "status": "order",
}


@dataclass
class Turn:
    step: str
    seconds: float
    status: int  # 0: transport error
    ok: bool  # HTTP 200 and the expected part present

    @property
    def error(self) -> bool:
        return self.status != 200

    @property
    def refused(self) -> bool:  # answered, but not as planned (e.g. another shopper took the last one)
        return self.status == 200 and not self.ok


@dataclass
class Run:
    sessions: int
    turns: list[Turn] = field(default_factory=list)
    elapsed: float = 0.0
    peak_rss: int = 0
    peak_rss_all: int = 0
    cpu_server: float = 0.0  # CPU seconds of the server process during the run
    cpu_postgres: float = 0.0  # and of its PostgreSQL (backends that exited mid-run are not counted)
    failures: dict[str, int] = field(default_factory=dict)


class ServerRss:
    """Peak RSS of the server process alone, and with its PostgreSQL (postmaster and backends: pg_ctl
    daemonizes them, so they are not the server's children), sampled every 50 ms; and the CPU seconds
    each spent in between (CPU per turn moves less than turns/s on a machine shared with others)."""

    def __init__(self, pid: int, postmaster: int | None) -> None:
        self.process = psutil.Process(pid)
        self.postmaster = psutil.Process(postmaster) if postmaster else None
        self.peak = self.peak_all = 0
        self.cpu_server = self.cpu_postgres = 0.0
        self._cpu_start: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                own = self.process.memory_info().rss
                others = [*self.process.children(recursive=True)]
                if self.postmaster is not None:
                    others += [self.postmaster, *self.postmaster.children(recursive=True)]
                total = own + sum(_rss(p) for p in others)
                self.peak, self.peak_all = max(self.peak, own), max(self.peak_all, total)
            except psutil.Error:
                pass
            self._stop.wait(0.05)

    def _postgres(self) -> list[psutil.Process]:
        if self.postmaster is None:
            return []
        try:
            return [self.postmaster, *self.postmaster.children(recursive=True)]
        except psutil.Error:
            return []

    def _cpu(self) -> dict[int, float]:
        seconds = {}
        for process in [self.process, *self._postgres()]:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            seconds[process.pid] = times.user + times.system
        return seconds

    def __enter__(self) -> ServerRss:
        self._cpu_start = self._cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        spent = {pid: s - self._cpu_start.get(pid, 0.0) for pid, s in self._cpu().items()}
        self.cpu_server = spent.pop(self.process.pid, 0.0)
        self.cpu_postgres = sum(spent.values())


def _rss(process: psutil.Process) -> int:
    try:
        return int(process.memory_info().rss)
    except psutil.Error:  # a backend that just exited
        return 0


def postmaster_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else None


def script(rng: random.Random, turns: int) -> list[tuple[str, str]]:
    """The conversation's first `turns` steps as (step, message); {order} is filled in at checkout."""
    steps: list[tuple[str, str]] = []
    while len(steps) < turns:
        steps += [
            ("search", rng.choice(SEARCHES)),
            ("add", f"add the {rng.choice(ORDINALS)} one"),
            ("quantity", "make it 2"),
            ("cart", "show my cart"),
            ("checkout", "checkout"),
            ("status", "what's the status of order {order}"),
        ]
    return steps[:turns]


async def shopper(client: httpx.AsyncClient, run: Run, seed: int, turns: int, think_s: float) -> None:
    rng = random.Random(seed)
    if think_s:  # people arrive at different moments, not all in the same second
        await asyncio.sleep(rng.uniform(0, 2 * think_s))
    created = await client.post("/api/v1/sessions")
    created.raise_for_status()
    headers = {"Authorization": f"Bearer {created.json()['token']}"}
    order = ""
    for step, message in script(rng, turns):
        if think_s:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
        body = await say(client, run, headers, step, message.format(order=order))
        if step == "add" and "cart" not in kinds_of(body) and "?" in str(body.get("text", "")):
            # the assistant asks which variant (size, colour...): the shopper takes the first it names
            body = await say(client, run, headers, "choose", "the first one")
        if step == "checkout" and "checkout_link" in kinds_of(body):
            order = next(p["order_number"] for p in body["parts"] if p["type"] == "checkout_link")


def kinds_of(body: dict[str, Any]) -> list[str]:
    return [part["type"] for part in body.get("parts", [])]


async def say(
    client: httpx.AsyncClient, run: Run, headers: dict[str, str], step: str, message: str
) -> dict[str, Any]:
    """One turn, timed and checked for the part its step must carry; the reply's body ({} on an error)."""
    started = time.perf_counter()
    try:
        response = await client.post("/api/v1/chat", json={"message": message}, headers=headers)
    except httpx.HTTPError as exc:
        run.turns.append(Turn(step, time.perf_counter() - started, 0, False))
        why = f"{step}: {type(exc).__name__}"
        run.failures[why] = run.failures.get(why, 0) + 1
        return {}
    seconds = time.perf_counter() - started
    body: dict[str, Any] = response.json() if response.status_code == 200 else {}
    asked = step == "add" and str(body.get("text", "")).rstrip().endswith("?")  # "which size?" is an answer
    ok = response.status_code == 200 and (EXPECTED[step] in kinds_of(body) or asked)
    if not ok:
        why = f"{step}: HTTP {response.status_code} {str(body.get('text', response.text))[:80]}"
        run.failures[why] = run.failures.get(why, 0) + 1
    run.turns.append(Turn(step, seconds, response.status_code, ok))
    return body


async def drive(base: str, sessions: int, turns: int, think_s: float, seed: int) -> Run:
    run = Run(sessions)
    limits = httpx.Limits(max_connections=sessions + 5, max_keepalive_connections=sessions + 5)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(shopper(client, run, seed + i, turns, think_s) for i in range(sessions)))
        run.elapsed = time.perf_counter() - started
    return run


def table(runs: list[Run], turns: int, think_ms: int, pool_max: int | None = None) -> str:
    head = (
        f"{'sessions':>8} {'turns':>6} {'turns/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6} {'refused':>7} {'peak RSS server MB':>19} {'(+postgres) MB':>15}"
        f" {'CPU ms/turn server':>18} {'postgres':>8}"
    )
    pool = f", database pool {pool_max}" if pool_max else ""
    title = f"chat turns via POST /api/v1/chat, {turns} turns per session, think time {think_ms} ms{pool}"
    lines = [title, head]
    for run in runs:
        ms = [t.seconds * 1000 for t in run.turns]
        n = max(1, len(run.turns))
        errors = sum(1 for t in run.turns if t.error)
        refused = sum(1 for t in run.turns if t.refused)
        lines.append(
            f"{run.sessions:>8} {len(run.turns):>6} {len(run.turns) / run.elapsed:>8.1f} "
            f"{percentile(ms, 50):>8.1f} {percentile(ms, 95):>8.1f} {percentile(ms, 99):>8.1f} "
            f"{errors:>6} {refused:>7} {run.peak_rss / 2**20:>19.0f} {run.peak_rss_all / 2**20:>15.0f}"
            f" {1000 * run.cpu_server / n:>18.1f} {1000 * run.cpu_postgres / n:>8.1f}"
        )
    return "\n".join(lines)


def per_step(runs: list[Run]) -> str:
    lines = [f"{'sessions':>8} {'step':<9} {'p50 ms':>8} {'p95 ms':>8}"]
    for run in runs:
        for step in EXPECTED:
            ms = [t.seconds * 1000 for t in run.turns if t.step == step]
            if ms:
                lines.append(
                    f"{run.sessions:>8} {step:<9} {percentile(ms, 50):>8.1f} {percentile(ms, 95):>8.1f}"
                )
    return "\n".join(lines)


# --- in-process profile of single turns ---------------------------------------------------------------
def profile_turns(data_dir: Path, count: int) -> str:
    """Run `count` turns through the ConversationService in this process under cProfile."""
    from elara_bot.app import start_runtime, stop_runtime
    from elara_bot.config import Settings
    from elara_bot.contracts import InboundMessage

    settings = Settings(env="test", data_dir=data_dir, chat_rate_per_minute=100_000, log_level="WARNING")

    async def main() -> tuple[str, list[tuple[str, float]]]:
        runtime = await start_runtime(settings)
        timings: list[tuple[str, float]] = []
        try:
            service = runtime.conversation
            assert service is not None
            rng = random.Random(7)

            async def conversation(who: str, profiler: cProfile.Profile | None) -> None:
                order = ""
                for step, message in script(rng, 6):
                    inbound = InboundMessage(
                        channel="web",
                        external_user_id=who,
                        conversation_key=who,
                        text=message.format(order=order),
                    )
                    if profiler:
                        profiler.enable()
                    started = time.perf_counter()
                    reply = await service.handle(inbound)
                    timings.append((step, time.perf_counter() - started))
                    if profiler:
                        profiler.disable()
                    for part in reply.parts:
                        if part.type == "checkout_link":
                            order = part.order_number

            await conversation("profile-warmup", None)
            timings.clear()
            profiler = cProfile.Profile()
            for i in range(max(1, count // 6)):
                await conversation(f"profile-{i}", profiler)
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(r"elara_bot|retrieval|langchain|langgraph|psycopg", 30)
            stats.sort_stats("tottime").print_stats(20)
            return out.getvalue(), timings
        finally:
            await stop_runtime(runtime)

    try:
        text, timings = asyncio.run(main())
    finally:
        from elara_bot.db import release_embedded

        release_embedded(settings.pgdata)  # stop_runtime did, unless the start failed half-way
    means = {step: [s * 1000 for n, s in timings if n == step] for step in EXPECTED}
    steps = "\n".join(f"  {step:<9} mean {sum(ms) / max(1, len(ms)):6.1f} ms" for step, ms in means.items())
    return f"in-process turns (no HTTP, one at a time):\n{steps}\n\n{text}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", default="1,10,50", help="comma-separated concurrent session counts")
    parser.add_argument("--turns", type=int, default=6, help="turns per session (6 = one whole conversation)")
    parser.add_argument("--think-ms", type=int, default=0, help="mean pause between a shopper's turns")
    parser.add_argument("--pool-max", type=int, default=20, help="the service's database pool size")
    parser.add_argument("--profile", type=int, default=0, help="also profile this many turns in-process")
    parser.add_argument("--url", help="drive an already running service instead of starting one")
    args = parser.parse_args()
    counts = [int(n) for n in args.sessions.split(",") if n.strip()]
    think_s = args.think_ms / 1000
    runs: list[Run] = []
    if args.url:
        runs = [asyncio.run(drive(args.url, n, args.turns, think_s, 1000 * n)) for n in counts]
        print(table(runs, args.turns, args.think_ms))
        return
    with tempfile.TemporaryDirectory(prefix="elara-bench-chat-") as tmp:
        data_dir = Path(tmp)
        env = {"ELARA_LLM__PROVIDER": "offline", "ELARA_DATABASE__POOL_MAX": str(args.pool_max)}
        with run_service(data_dir, env) as (base, pid):
            asyncio.run(drive(base, 2, 6, 0, 1))  # warm-up: model, caches, pool
            for n in counts:
                with ServerRss(pid, postmaster_pid(data_dir)) as rss:
                    run = asyncio.run(drive(base, n, args.turns, think_s, 1000 * n))
                run.peak_rss, run.peak_rss_all = rss.peak, rss.peak_all
                run.cpu_server, run.cpu_postgres = rss.cpu_server, rss.cpu_postgres
                runs.append(run)
        print(table(runs, args.turns, args.think_ms, args.pool_max))
        print()
        print(per_step(runs))
        failures = {k: v for run in runs for k, v in run.failures.items()}
        for why, count in sorted(failures.items(), key=lambda kv: -kv[1])[:10]:
            print(f"unexpected reply x{count}: {why}")
        if args.profile:
            print()
            print(profile_turns(data_dir, args.profile))


if __name__ == "__main__":
    main()
