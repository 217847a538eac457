"""`python -m local start` in a subprocess on free loopback ports, for tests and benchmarks:
wait until it serves, talk to it over real HTTP, read its log, stop it with Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from local.template import ROOT

READY_WITHIN_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def is_listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class LocalRunner:
    """A running `python -m local start`; stdout and stderr go to one log file."""

    process: subprocess.Popen
    api_port: int
    moto_port: int
    log_path: Path

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 30) -> str:
        """The first log line containing `text`, once it is there."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = [line for line in self.log().splitlines() if text in line]
            if lines:
                return lines[0]
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no log line with {text!r}; log:\n{self.log()[-3000:]}")

    def call(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.api_url + path, headers=headers, timeout=30, **kwargs)

    def stop(self) -> int:
        """Ctrl-C, then the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def _wait_until_serving(runner: LocalRunner) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline and runner.process.poll() is None:
        try:
            if requests.get(runner.api_url + "/api/v1/health/", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # not up yet; a worker's cold start
            pass
        time.sleep(0.2)
    runner.stop()
    raise AssertionError(
        f"the local runner did not serve within {READY_WITHIN_SECONDS} s:\n{runner.log()[-3000:]}"
    )


@contextmanager
def running_local(*options: str, env: dict[str, str | None] | None = None) -> Iterator[LocalRunner]:
    """`python -m local start <options>` on free ports, serving, stopped afterwards; `env` adds
    to (or, with a None value, removes from) the environment it inherits."""
    api_port, moto_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="local-runner-") as folder:
        log_path = Path(folder) / "runner.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "local",
                    "start",
                    "--port",
                    str(api_port),
                    "--moto-port",
                    str(moto_port),
                    *options,
                ],
                cwd=ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=_environment({"PYTHONUNBUFFERED": "1", **(env or {})}),
            )
        runner = LocalRunner(process, api_port, moto_port, log_path)
        try:
            _wait_until_serving(runner)
            yield runner
        finally:
            runner.stop()


def _environment(changes: dict[str, str | None]) -> dict[str, str]:
    merged = {**os.environ, **changes}
    return {name: value for name, value in merged.items() if value is not None}


def local_token(account: str, role: str = "owner", env: dict[str, str | None] | None = None) -> str:
    """A dev token as a user gets one: `python -m local token --account <account> --role <role>`."""
    done = subprocess.run(
        [sys.executable, "-m", "local", "token", "--account", account, "--role", role],
        env=_environment(env or {}),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def wait_until[T](condition: Callable[[], T], what: str, timeout: float = 30, every: float = 0.1) -> T:
    """The first truthy value of `condition()`, polled every `every` s; AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise AssertionError(f"gave up waiting for {what} after {timeout:g} s")
