"""The publication lineage sequence, through Publisher's API and worker, against a real peer:
publish, publish unchanged, edit + publish, retract, republish.

`Lineage` drives the steps (the content API, `POST /publisher/publish/`, the worker on the moto
queue as Lambda's poller would run it, `POST /publisher/records/{id}/retract/`), counts the
requests the destination received in each step, and checks what Publisher says after each one:
one record for the (content, destination), whose attempts tell the story so far, and the
content's `site_status` and `changed_since_publish` (content API and calendar). What the peer
itself holds is checked by each test, through the peer's own API.

Requests are counted where they really leave Publisher: every hop of the guarded HTTP session
(`GuardedRequests`, for the HTTP peers) or every S3 operation on the site's bucket
(`S3Calls`); or where they arrive, for peers that run in the test process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from local.aws import Stack
from publisher.destinations.http import GuardedSession
from tests.integration.publishing_support import invoke_worker, owner_token, receive
from tests.support.apigw import call
from tests.support.aws_calls import record_calls

STEPS = ("publish", "publish unchanged", "edit + publish", "retract", "republish")
STORY = ["published", "unchanged", "updated", "retracted", "published"]
"""The attempts' outcomes after the five steps (a republish after retract is `published`)."""


def api(method: str, path: str, expected: int = 200, **kwargs: Any) -> Any:
    """One call to Publisher's API as the site's owner; the `data` of the envelope."""
    reply = call(method, f"/api/v1{path}", token=owner_token(), **kwargs)
    assert reply.status == expected, reply.body
    return reply.json["data"]


def approved_content(site_id: str, **fields: Any) -> dict[str, Any]:
    """Content made and approved through the content API."""
    content = api("POST", "/content/", 201, body={"site_id": site_id, **fields})
    approved = api("PATCH", f"/content/{content['id']}/", body={"status": "approved"})
    assert approved["status"] == "approved"
    return approved


class GuardedRequests:
    """Every request the guarded HTTP session sends (each redirect hop too): (method, URL)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[tuple[str, str]] = []
        send = GuardedSession.send

        def counted(session: GuardedSession, request: Any, **kwargs: Any) -> Any:
            self.sent.append((str(request.method), str(request.url)))
            return send(session, request, **kwargs)

        monkeypatch.setattr(GuardedSession, "send", counted)

    def to(self, base_url: str) -> Callable[[], list[tuple[str, str]]]:
        """A reader of the requests sent to the host (and port) of `base_url`."""
        netloc = urlsplit(base_url).netloc
        return lambda: [(method, url) for method, url in self.sent if urlsplit(url).netloc == netloc]


class S3Calls:
    """Every S3 operation Publisher makes on one bucket: (operation, key)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, bucket: str) -> None:
        self.bucket = bucket
        self.sent = record_calls(monkeypatch, "s3")

    def __call__(self) -> list[tuple[str, Any]]:
        return [
            (call.operation, str(call.params.get("Key", "")))
            for call in self.sent.calls
            if call.params.get("Bucket") == self.bucket
        ]


@dataclass
class Lineage:
    """The sequence for one content and its one destination.

    `requests` answers every request the destination received so far (any list: its length is
    counted per step, its new entries are what the step sent)."""

    stack: Stack
    content_id: str
    requests: Callable[[], list[Any]]
    counts: dict[str, int] = field(default_factory=dict)
    sent: dict[str, list[Any]] = field(default_factory=dict)
    record_id: str | None = None

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        before = len(self.requests())
        yield
        self.sent[name] = self.requests()[before:]
        self.counts[name] = len(self.sent[name])

    def publish(self, name: str) -> dict[str, Any]:
        """Publish now and let the worker deliver it; the one record, as the API shows it after."""
        with self.step(name):
            [record] = api("POST", "/publisher/publish/", 202, body={"content_id": self.content_id})[
                "records"
            ]
            messages = receive(self.stack)
            assert messages, "the publish API put nothing on the queue"
            reply = invoke_worker(self.stack, messages)
            assert reply["batchItemFailures"] == []
        self.record_id = self.record_id or record["id"]
        assert record["id"] == self.record_id  # the same record: one per (content, destination)
        return api("GET", f"/publisher/records/{self.record_id}/")

    def edit(self, **fields: Any) -> dict[str, Any]:
        return api("PATCH", f"/content/{self.content_id}/", body=fields)

    def retract(self, name: str) -> dict[str, Any]:
        with self.step(name):
            retracted = api("POST", f"/publisher/records/{self.record_id}/retract/")
        assert retracted["status"] == "retracted"
        return retracted

    def content(self) -> dict[str, Any]:
        return api("GET", f"/content/{self.content_id}/")

    def check(self, *, outcomes: list[str], site_status: str, changed: bool = False) -> dict[str, Any]:
        """What Publisher says now: one record, its attempts, the content's status; the record."""
        status = api("GET", "/publisher/publish/status/", query={"content_id": self.content_id})
        assert [record["id"] for record in status["records"]] == [self.record_id]
        assert status["site_status"] == site_status
        attempts = api("GET", f"/publisher/records/{self.record_id}/attempts/")
        assert [attempt["outcome"] for attempt in attempts] == outcomes
        assert all(attempt["error"] is None for attempt in attempts)
        content = self.content()
        assert (content["site_status"], content["changed_since_publish"]) == (site_status, changed)
        shown = [entry for entry in self.calendar(content["site_id"]) if entry["id"] == self.content_id]
        if site_status == "published":  # the calendar shows it as the content API does
            assert [(e["site_status"], e["changed_since_publish"]) for e in shown] == [(site_status, changed)]
        else:  # nothing online: no calendar entry claims it is published
            assert all(entry["site_status"] == site_status for entry in shown)
        [record] = status["records"]
        return record

    @staticmethod
    def calendar(site_id: str) -> list[dict[str, Any]]:
        """The site's content calendar from yesterday to tomorrow."""
        today = datetime.now(UTC).date()
        query = {
            "site_id": site_id,
            "start": str(today - timedelta(days=1)),
            "end": str(today + timedelta(days=2)),
        }
        return api("GET", "/publisher/calendar/", query=query)

    def report(self, peer: str, capsys: pytest.CaptureFixture[str]) -> None:
        """Print the per-step counts (shown even when pytest captures output)."""
        line = ", ".join(f"{name} {self.counts[name]}" for name in STEPS if name in self.counts)
        with capsys.disabled():
            print(f"\n[lineage] {peer} requests per step: {line}")
