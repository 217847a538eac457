"""The AWS calls Publisher sends, seen at one hook: botocore's `BaseClient._make_api_call`, through
which boto3's clients and pynamodb's connection (which calls it directly, skipping the client's
methods) send every operation; a transaction is one call. Used by the benchmarks (`intercepting`)
and the tests (tests/support/aws_calls.py `record_calls`, which installs `through(...)` with
pytest's monkeypatch)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient

Send = Callable[[Any, str, dict[str, Any]], Any]  # (client, operation, params) -> reply
Hook = Callable[[Send, Any, str, dict[str, Any]], Any]  # (send, client, operation, params) -> reply


def through(hook: Hook) -> Send:
    """botocore's current call path with `hook` around each call (it sends it with `send`)."""
    send = BaseClient._make_api_call

    def hooked(client: Any, operation: str, params: dict[str, Any]) -> Any:
        return hook(send, client, operation, params)

    return hooked


@contextmanager
def intercepting(hook: Hook) -> Iterator[None]:
    """Every AWS call sent inside goes through `hook`."""
    send = BaseClient._make_api_call
    BaseClient._make_api_call = through(hook)
    try:
        yield
    finally:
        BaseClient._make_api_call = send


@dataclass
class Call:
    operation: str  # "service:Operation"; the operation alone when one service is recorded
    params: dict[str, Any]
    reply: dict[str, Any] | None = None  # None when the call raised


class AwsCalls:
    """A hook recording the calls sent, in order: every call as "service:Operation", or with
    `service` ("dynamodb") only that service's calls, named by the operation alone ("Query")."""

    def __init__(self, service: str | None = None) -> None:
        self.service = service
        self.calls: list[Call] = []

    def __call__(self, send: Send, client: Any, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        if self.service not in (None, service):
            return send(client, operation, params)
        call = Call(operation if self.service else f"{service}:{operation}", params)
        self.calls.append(call)
        call.reply = send(client, operation, params)
        return call.reply

    @property
    def operations(self) -> list[str]:
        return [call.operation for call in self.calls]

    def count(self, name: str | None = None) -> int:
        """The calls of operation `name`; without it, all of them."""
        return sum(1 for call in self.calls if name in (None, call.operation))

    def of(self, *names: str) -> list[dict[str, Any]]:
        """The params of the calls of these operations, in order."""
        return [call.params for call in self.calls if call.operation in names]

    def clear(self) -> None:
        self.calls.clear()

    def take(self) -> Counter[str]:
        """The number of calls of each operation, then `clear()` (for the benchmarks' phases)."""
        counted = Counter(self.operations)
        self.clear()
        return counted
