"""The embedded PostgreSQL lives as long as the Elara processes using it: `elara serve` stopped by SIGTERM
or SIGINT stops it, the last of two processes sharing it stops it, a throw-away server is deleted even on
SIGTERM, a server or a postmaster.pid left by a kill -9 is recovered at the next start, and the operator
sees and stops it with `elara db status` / `elara db stop`. Real processes, real servers, each test on a
data directory of its own."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
from typer.testing import CliRunner, Result

from elara_bot.cli.main import app
from tests.helpers import free_port

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "bench" / "data" / "retrieval_dev"
CLI = "from elara_bot.cli.main import app; app()"
# An Elara process that uses the embedded server and then idles: the library path every command takes.
HOLDER = """
import logging, sys, time
from pathlib import Path
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
if sys.argv[1] == "throwaway":
    from elara_bot.db import EmbeddedPostgres
    url = EmbeddedPostgres(Path(sys.argv[2]) / "pgdata", delete_on_exit=True).url()
else:
    from elara_bot.config import get_settings
    from elara_bot.db import database_url
    url = database_url(get_settings())
if sys.argv[1] == "fork":  # a forked child exiting normally (its atexit runs) must leave the server alone
    import os
    child = os.fork()
    if child == 0:
        sys.exit(0)
    os.waitpid(child, 0)
print(url, flush=True)
while True:
    time.sleep(1)
"""
GONE_WITHIN_S = 10.0


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """Not under pytest's tmp_path: pytest makes it 0700, locking out the user the server runs as (root)."""
    path = Path(tempfile.mkdtemp(prefix="elara-test-life-"))
    yield path
    for process in postgres_in(path):  # only if a test failed half-way
        process.kill()
    shutil.rmtree(path, ignore_errors=True)


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELARA_")}
    return {
        **env,
        "ELARA_ENV": "test",
        "ELARA_DATA_DIR": str(data_dir),
        "ELARA_LOAD_DEMO": "false",
        "ELARA_LOG_LEVEL": "INFO",
        "HF_HUB_OFFLINE": "1",
        **extra,
    }


def postgres_in(directory: Path) -> list[psutil.Process]:
    """PostgreSQL processes working in ``directory`` (by command line or working directory)."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        try:
            if process.info["name"] != "postgres":
                continue
            where = " ".join(process.info["cmdline"] or []) + " " + process.cwd()
        except psutil.Error:
            continue
        if str(directory) in where:
            found.append(process)
    return found


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()[0])


def wait_gone(directory: Path, since: float) -> float:
    """Seconds from ``since`` until no PostgreSQL works in ``directory``; fails after GONE_WITHIN_S."""
    while postgres_in(directory):
        assert time.monotonic() - since < GONE_WITHIN_S, f"PostgreSQL still runs in {directory}"
        time.sleep(0.05)
    elapsed = time.monotonic() - since
    assert elapsed < GONE_WITHIN_S
    log.info("no PostgreSQL in %s %.2f s after the signal", directory, elapsed)
    return elapsed


def stop_last(process: subprocess.Popen[str] | subprocess.Popen[bytes], signum: int, directory: Path) -> None:
    """Send ``signum`` to the last process using the server in ``directory``: the server goes within
    GONE_WITHIN_S, and the process exits."""
    sent = time.monotonic()
    process.send_signal(signum)
    wait_gone(directory, sent)
    process.wait(timeout=60)
    log.info("the process exited %.2f s after the signal", time.monotonic() - sent)


def select_one(url: str) -> None:
    with psycopg.connect(url, connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@contextmanager
def holder(data_dir: Path, mode: str = "data") -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A process holding the server of ``data_dir`` (``mode`` "throwaway": a throw-away one); yields it
    and the URL it printed. Its log goes to ``data_dir/holder-<pid>.log``."""
    log_path = data_dir / f"holder-{time.monotonic_ns()}.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, mode, str(data_dir)],
            env=environment(data_dir),
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
        )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("postgresql://"), log_path.read_text()
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def holder_log(data_dir: Path) -> str:
    return "".join(p.read_text() for p in sorted(data_dir.glob("holder-*.log")))


def stop_process(process: subprocess.Popen[str] | subprocess.Popen[bytes], signum: int) -> None:
    process.send_signal(signum)
    process.wait(timeout=60)


@contextmanager
def serve(data_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`elara serve` on the embedded default in ``data_dir``; yields the process and its base URL."""
    port = free_port()
    log_path = data_dir / "serve.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-c", CLI, "serve", "--port", str(port)],
            env=environment(data_dir),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while not _ready(base):
            assert process.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "elara serve did not become ready"
            time.sleep(0.3)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        lines = log_path.read_text(errors="replace").splitlines()
        log.info("elara serve's last log lines:\n%s", "\n".join(line[:300] for line in lines[-8:]))


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class Operator:
    """`elara db ...` run in this process (status and stop start no server)."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            return self.runner.invoke(app, ["db", *args])
        finally:  # the CLI's logging.basicConfig bound a handler to the runner's stream, closed now
            root.handlers[:] = handlers
            root.setLevel(level)


@pytest.fixture
def operator(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Operator]:
    """The operator's `elara db` on ``data_dir``."""
    from elara_bot.config import get_settings

    for name in [k for k in os.environ if k.startswith("ELARA_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ELARA_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    yield Operator()
    get_settings.cache_clear()


class TestSignals:
    def test_handlers_installed_by_others_are_kept(self) -> None:
        """pytest's session (conftest) turns SIGTERM into KeyboardInterrupt; starting a server keeps that."""
        script = (
            "import signal\n"
            "from elara_bot.embedded import exit_on_signals\n"
            "signal.signal(signal.SIGTERM, signal.default_int_handler)\n"
            "exit_on_signals()\n"
            "assert signal.getsignal(signal.SIGTERM) is signal.default_int_handler\n"
            "assert signal.getsignal(signal.SIGHUP) is not signal.SIG_DFL\n"
        )
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr


class TestServe:
    def test_sigterm_stops_the_server(self, data_dir: Path) -> None:
        with serve(data_dir) as (process, _):
            assert psutil.pid_exists(postmaster_pid(data_dir))
            stop_last(process, signal.SIGTERM, data_dir)
            assert process.returncode in (0, -signal.SIGTERM)
        assert "stopping the embedded PostgreSQL" in (data_dir / "serve.log").read_text()

    def test_sigint_stops_it_once_the_other_process_has_left(self, data_dir: Path) -> None:
        with serve(data_dir) as (process, base):
            with holder(data_dir) as (chat, url):
                select_one(url)
                stop_process(chat, signal.SIGTERM)
            assert "leaving the embedded PostgreSQL" in holder_log(data_dir)
            select_one(url)  # serve still uses it
            assert _ready(base)
            stop_last(process, signal.SIGINT, data_dir)


class TestSharing:
    def test_the_server_lives_until_the_second_process_exits(self, data_dir: Path) -> None:
        with holder(data_dir) as (first, url), holder(data_dir) as (second, _):
            pid = postmaster_pid(data_dir)
            stop_process(first, signal.SIGTERM)
            assert first.returncode == 128 + signal.SIGTERM  # a normal exit, cleanup ran
            time.sleep(0.5)
            select_one(url)
            assert postmaster_pid(data_dir) == pid
            stop_last(second, signal.SIGINT, data_dir)
        assert "joining the embedded PostgreSQL" in holder_log(data_dir)
        assert not list((data_dir / "pgdata.leases").glob("*.lease"))

    def test_a_forked_child_leaving_does_not_stop_its_parents_server(self, data_dir: Path) -> None:
        with holder(data_dir, "fork") as (process, url):
            select_one(url)
            stop_last(process, signal.SIGTERM, data_dir)


class TestThrowAway:
    def test_sigterm_stops_and_deletes_a_throwaway_server(self, data_dir: Path) -> None:
        with holder(data_dir, "throwaway") as (process, url):
            select_one(url)
            stop_last(process, signal.SIGTERM, data_dir)
        assert not (data_dir / "pgdata").exists()
        assert not (data_dir / "pgdata.leases").exists()

    def test_sigterm_during_eval_retrieval_leaves_nothing(self, data_dir: Path) -> None:
        scratch = data_dir / "tmp"  # the eval's temporary directory goes here
        scratch.mkdir()
        command = [sys.executable, "-c", CLI, "eval", "retrieval", "--catalog"]
        command += [str(ROOT / "elara_bot" / "data" / "demo" / "catalog.jsonl")]
        command += ["--queries", str(DEV / "queries.jsonl"), "--qrels", str(DEV / "qrels.tsv")]
        with (data_dir / "eval.log").open("wb") as log_file:
            process = subprocess.Popen(
                command, env=environment(data_dir, TMPDIR=str(scratch)), stdout=log_file, stderr=log_file
            )
        try:
            deadline = time.monotonic() + 180
            while not postgres_in(scratch):
                assert process.poll() is None, (data_dir / "eval.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the evaluation never started its server"
                time.sleep(0.1)
            stop_last(process, signal.SIGTERM, scratch)
        finally:
            if process.poll() is None:
                process.kill()
        assert not list(scratch.glob("elara-eval-*"))  # (torch keeps a cache of its own there)


class TestRecovery:
    def test_kill_9_then_a_restart_adopts_the_server(self, data_dir: Path, operator: Operator) -> None:
        with holder(data_dir) as (process, _):
            process.kill()
            process.wait(timeout=30)
        pid = postmaster_pid(data_dir)
        assert psutil.pid_exists(pid)  # orphaned: nobody is left to stop it
        shown = operator("status")
        assert f"running, pid {pid}" in shown.output
        assert "used by: 0 Elara process(es)" in shown.output
        restart = subprocess.run(
            [sys.executable, "-c", CLI, "db", "migrate"],
            env=environment(data_dir),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert restart.returncode == 0, restart.stderr[-3000:]
        assert "left running by an Elara process that exited without stopping it" in restart.stderr
        assert "applied:" in restart.stdout  # it worked on the adopted server
        wait_gone(data_dir, time.monotonic())  # and, last out, stopped it

    def test_a_stale_postmaster_pid_is_recovered(self, data_dir: Path) -> None:
        with holder(data_dir) as (process, _):
            process.kill()
            process.wait(timeout=30)
        postmaster = psutil.Process(postmaster_pid(data_dir))
        postmaster.kill()  # the whole machine died: postmaster.pid stays
        postmaster.wait(10)
        psutil.wait_procs(postgres_in(data_dir), timeout=10)
        # the pid is now some other program's (pids are reused, e.g. after a container restart)
        other = subprocess.Popen(["sleep", "60"])
        try:
            pid_file = data_dir / "pgdata" / "postmaster.pid"
            lines = pid_file.read_text().splitlines()
            pid_file.write_text("\n".join([str(other.pid), *lines[1:]]) + "\n")
            with holder(data_dir) as (again, url):
                select_one(url)
                running = postgres_in(data_dir)
                pids = {p.pid for p in running}
                assert len([p for p in running if p.ppid() not in pids]) == 1  # one postmaster
                stop_last(again, signal.SIGTERM, data_dir)
        finally:
            other.kill()
            other.wait()
        assert f"postmaster.pid in {(data_dir / 'pgdata').resolve()} names process {other.pid}" in holder_log(
            data_dir
        )


class TestOperatorCommands:
    def test_status_and_stop(self, data_dir: Path, operator: Operator) -> None:
        assert "server: none yet" in operator("status").output
        with holder(data_dir) as (process, _):
            shown = operator("status")
            assert f"running, pid {postmaster_pid(data_dir)}" in shown.output
            assert f"pid {process.pid}:" in shown.output
            refused = operator("stop")
            assert refused.exit_code == 1
            assert f"pids {process.pid}" in refused.output
            assert postgres_in(data_dir)
            sent = time.monotonic()
            forced = operator("stop", "--force")
            assert forced.exit_code == 0, forced.output
            assert "stopped the embedded PostgreSQL" in forced.output
            wait_gone(data_dir, sent)
            stop_process(process, signal.SIGTERM)
            assert process.returncode == 128 + signal.SIGTERM
        assert "server: stopped" in operator("status").output
        assert "not running" in operator("stop").output
