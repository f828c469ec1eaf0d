"""Fixtures: a real leadboard-server on an ephemeral port in a temporary directory."""

from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator, Optional

import pytest

# The repository root is three levels above this file (client/python/tests).
REPO_ROOT = Path(__file__).resolve().parents[3]
SERVER_BIN = Path(os.environ.get("LEADBOARD_SERVER_BIN") or REPO_ROOT / "build" / "server" / "leadboard-server")


class ServerProcess:
    """A leadboard-server child process; restartable on the same data dir and port."""

    def __init__(self, data_dir: Path, extra_args: tuple[str, ...] = ()) -> None:
        self.data_dir = data_dir
        self.extra_args = tuple(extra_args)
        self.port: Optional[int] = None
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.log_path = data_dir / "server.log"

    @property
    def target(self) -> str:
        assert self.port is not None
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        port_file = self.data_dir / "port"
        if port_file.exists():
            port_file.unlink()
        listen = f"127.0.0.1:{self.port or 0}"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [
                str(SERVER_BIN),
                f"--listen={listen}",
                f"--data_dir={self.data_dir}",
                f"--port_file={port_file}",
                "--progress_interval=1s",
                "--shutdown_grace=2s",
                *self.extra_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"leadboard-server exited with {self.proc.returncode}: {self.log()}")
            if port_file.exists():
                text = port_file.read_text().strip()
                if text:
                    self.port = int(text)
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"leadboard-server did not write {port_file}: {self.log()}")

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


@functools.lru_cache(maxsize=None)
def server_flags() -> frozenset[str]:
    """The flags the server binary lists in its ``--help`` (and ``--helpfull``)."""
    names: set[str] = set()
    for arg in ("--help", "--helpfull"):
        try:
            proc = subprocess.run([str(SERVER_BIN), arg], capture_output=True, text=True, timeout=30,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            continue
        names.update(re.findall(r"--([a-z][a-z0-9_]*)", proc.stdout + proc.stderr))
    return frozenset(names)


def skip_unless_server_has(*flags: str) -> None:
    """Skips the test when the server binary does not know one of ``flags``
    (names with or without ``--`` and ``=value``): it predates the feature."""
    missing = [f for f in (re.sub(r"^--|=.*$", "", flag) for flag in flags) if f not in server_flags()]
    if missing:
        pytest.skip(f"{SERVER_BIN} has no --{', --'.join(missing)} flag: it predates the feature under test "
                    "(rebuild the server)")


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Starts servers with extra flags; all are stopped at the end of the test."""
    if not SERVER_BIN.exists():
        pytest.skip(f"leadboard-server binary not found at {SERVER_BIN} (set LEADBOARD_SERVER_BIN)")
    started: list[ServerProcess] = []

    def start(*extra_args: str) -> ServerProcess:
        data_dir = tmp_path / f"data{len(started)}"
        data_dir.mkdir()
        srv = ServerProcess(data_dir, extra_args)
        started.append(srv)
        srv.start()
        return srv

    try:
        yield start
    finally:
        for srv in started:
            srv.stop()


@pytest.fixture
def server(request: pytest.FixtureRequest, server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    """A fresh server on an ephemeral port; skipped when the binary is missing.

    ``@pytest.mark.server_args("--stall_after=1s", ...)`` passes flags to it;
    the test is skipped when the binary does not know one of them.
    """
    marker = request.node.get_closest_marker("server_args")
    args = tuple(marker.args) if marker else ()
    if args:
        skip_unless_server_has(*args)
    return server_factory(*args)
