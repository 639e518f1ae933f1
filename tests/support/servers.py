"""Servers started for the tests and the benchmarks: the portal (``outreach serve``), any uvicorn app, a private
``redis-server`` and an SMTP server that keeps what it receives, each on a free port of 127.0.0.1.

A plain module (no pytest), so that the scripts in ``bench/`` use the same code as the test suite.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import serving

BIN = Path(sys.executable).parent
OUTREACH = BIN / "outreach"
LOG_TAIL = 3000  # characters of a server's log quoted when it does not start


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listened on a moment ago (free until someone binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running server process: its base URL (``http://127.0.0.1:<port>``), its process, the file its stdout and
    stderr go to, and how many worker processes it was told to run."""

    url: str
    process: subprocess.Popen
    log: Path
    workers: int = 1

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        """Everything the server has written so far."""
        return self.log.read_text(errors="replace")


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM (uvicorn and redis-server shut down cleanly on it), then SIGKILL after ``timeout`` seconds."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Return once ``url`` answers 200; raise RuntimeError with the tail of ``log`` if the process exits first or
    ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:  # refused while it starts; urllib's HTTPError (a non-2xx answer) is an OSError too
            pass
        exited = process.poll()
        if exited is not None or time.monotonic() > deadline:
            why = f"the server exited with status {exited}" if exited is not None else f"no 200 within {timeout:g} s"
            tail = log.read_text(errors="replace")[-LOG_TAIL:] if log.exists() else ""
            raise RuntimeError(f"{url}: {why}; the end of its log:\n{tail}")
        time.sleep(0.2)


@contextlib.contextmanager
def server(
    command: Sequence[str],
    port: int,
    *,
    health_path: str = "/healthz",
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    cwd: Path | None = None,
    workers: int = 1,
    start_timeout: float = 60,
    stop_timeout: float = 20,
) -> Iterator[Server]:
    """Run ``command`` (an HTTP server listening on ``port`` of 127.0.0.1) until ``health_path`` answers 200; stop
    it on exit.

    ``env`` is the whole environment of the process (default: this one's). Its output is appended to ``log``, which
    stays; without ``log`` it goes to a temporary file that is removed after the server stops. ``workers`` is only
    recorded on the Server (the command says how many processes it starts).
    """
    keep = log is not None
    if log is None:
        log = Path(tempfile.mkstemp(prefix="outreach-server-", suffix=".log")[1])
    with log.open("ab") as sink:
        process = subprocess.Popen(
            list(command),
            env=dict(os.environ if env is None else env),
            cwd=cwd,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    running = Server(f"http://127.0.0.1:{port}", process, log, workers)
    try:
        wait_until_healthy(running.url + health_path, process, log, start_timeout)
        yield running
    finally:
        stop(process, stop_timeout)
        if not keep:
            log.unlink(missing_ok=True)


def portal(*, workers: int = 1, **options: Any) -> contextlib.AbstractContextManager[Server]:
    """``outreach serve --workers N --no-migrate`` on a free port (the database must be migrated already), once
    ``/healthz`` answers; ``options`` are those of ``server`` (env, log, cwd, start_timeout, stop_timeout)."""
    port = free_port()
    command = [str(OUTREACH), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"]
    command += ["--workers", str(workers)]
    return server(command, port, workers=workers, **options)


@contextlib.contextmanager
def uvicorn(
    app: str,
    *,
    app_dir: Path | None = None,
    arguments: Sequence[str] = (),
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    **options: Any,
) -> Iterator[Server]:
    """``python -m uvicorn APP`` (``module:attribute``, found in ``app_dir``) with ``workers`` processes and the
    extra command-line ``arguments`` on a free port; ``options`` are those of ``server`` (health_path, log, cwd,
    start_timeout, stop_timeout). Several workers share out connections as ``outreach serve``'s do (core.serving),
    so that a benchmark's bare twin is served the same way as the portal."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn"]
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    command += [app, "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), *arguments]
    environment = dict(os.environ if env is None else env)
    with contextlib.ExitStack() as stack:
        if workers > 1:
            table = stack.enter_context(serving.load_table())
            command += ["--loop", serving.LOOP_FACTORY]
            environment[serving.TABLE_ENV] = str(table)
        yield stack.enter_context(server(command, port, workers=workers, env=environment, **options))


class RedisServerMissing(RuntimeError):
    """No ``redis-server`` on PATH."""


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _without_fake_time(environment: Mapping[str, str]) -> dict[str, str]:
    """The environment without libfaketime (`make test-hours`): redis-server's allocator calls clock_gettime while
    libfaketime initialises and the server never starts. Redis keeps only relative expiries, so real time does."""
    preload = " ".join(lib for lib in environment.get("LD_PRELOAD", "").split() if "faketime" not in lib)
    clean = {key: value for key, value in environment.items() if not key.startswith("FAKETIME")}
    clean.pop("LD_PRELOAD", None)
    return clean | ({"LD_PRELOAD": preload} if preload else {})


@contextlib.contextmanager
def redis_server(start_timeout: float = 15, stop_timeout: float = 15) -> Iterator[str]:
    """A private Redis (Debian's ``redis-server``, installed by scripts/check-system-deps.sh) on a free port that
    keeps nothing on disk; yields its URL (``redis://127.0.0.1:<port>/0``) once it answers PING, stops it on exit.

    Raises RedisServerMissing when there is no ``redis-server``, RuntimeError when it does not start.
    """
    executable = shutil.which("redis-server")
    if executable is None:
        raise RedisServerMissing("redis-server is not installed (scripts/check-system-deps.sh installs it)")
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="outreach-redis-"))
    log = directory / "redis.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(directory)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=_without_fake_time(os.environ),
        )
    try:
        deadline = time.monotonic() + start_timeout
        while not _answers_ping(port):
            exited = process.poll()
            if exited is not None or time.monotonic() > deadline:
                why = f"exited with status {exited}" if exited is not None else f"no PONG within {start_timeout:g} s"
                tail = log.read_text(errors="replace")[-LOG_TAIL:]
                raise RuntimeError(f"redis-server on port {port} did not start ({why}):\n{tail}")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process, stop_timeout)
        shutil.rmtree(directory, ignore_errors=True)


class Inbox:
    """What an SMTP server received: (recipients, raw message) in order of arrival; the addresses in ``refuse`` are
    refused as a real server refuses an unknown mailbox (550 5.1.1, quoting the address)."""

    def __init__(self, refuse: Iterable[str] = ()) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse = {address.lower() for address in refuse}

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        """aiosmtpd's hook for a recipient: refuse the ones in ``refuse``, accept the others."""
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook for a message: keep it, and accept it."""
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


class MailServer:
    """A real SMTP server (aiosmtpd, in a thread of this process) on a free port of 127.0.0.1 that keeps what it
    receives in ``inbox``; it can be stopped and started again on the same port, to play an outage."""

    def __init__(self, refuse: Iterable[str] = ()) -> None:
        self.inbox = Inbox(refuse)
        self.port = free_port()
        self._controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller  # a test dependency: the benchmarks run without it

        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
