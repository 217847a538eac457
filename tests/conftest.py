"""Shared fixtures: moto's real server as the embedded AWS, provisioned from template.yaml.

Every test that touches AWS gets a freshly reset moto with the template's tables, queues, key
and secret, and the environment the template gives the functions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests
from moto.server import ThreadedMotoServer

from local.aws import Stack, provision
from local.moto_atomic import atomic_moto_writes
from local.moto_memory import untracked_moto_records
from publisher import bootstrap

logging.getLogger("werkzeug").setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with atomic_moto_writes(), untracked_moto_records():
        yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """A clean embedded AWS with the template's resources, and the functions' environment."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    stack = provision(moto_endpoint)
    for name, value in stack.function_environment("SitesApiFunction").items():
        monkeypatch.setenv(name, value)
    bootstrap.reset()
    yield stack
    bootstrap.reset()
