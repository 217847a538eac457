"""Every sample event in events/ runs through its function's handler on moto (the same files
`sam local invoke -e` and `python -m local invoke -e` take)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.fixtures import token
from tests.support.handlers import FakeLambdaContext, load_handler_module

EVENTS = Path(__file__).resolve().parents[2] / "events"

# event file → (function logical id, what its handler must answer)
EXPECTED = {
    "authorizer-token.json": ("AuthorizerFunction", "allow"),
    "sites-create.json": ("SitesApiFunction", 201),
    "public-health.json": ("PublicApiFunction", 200),
    "content-list.json": ("ContentApiFunction", 200),
    "publisher-queue.json": ("PublisherApiFunction", 200),
    "console-index.json": ("ConsoleFunction", 302),
    "schedule-approved-content.json": ("ScheduleApprovedContentFunction", {"units": 4}),  # auto-index shards
    "process-scheduled-publications.json": (
        "ProcessScheduledPublicationsFunction",
        {"units": 16},
    ),  # a hand-over and an unpublish unit per due shard
    "cleanup-failed-publications.json": ("CleanupFailedPublicationsFunction", {"units": 8}),  # retry shards
    "publish-worker-sqs.json": ("PublishWorkerFunction", "batch"),
    # the sample's site has no notification settings: nothing to send, nothing fails
    "notifier-publication-failed.json": (
        "NotifierFunction",
        {"event": "publication.failed", "webhook": False, "emails": 0},
    ),
}


def test_every_event_file_is_covered():
    assert {path.name for path in EVENTS.glob("*.json")} == set(EXPECTED)


@pytest.fixture
def demo_site(aws):
    """The site the sample events name, in the sample's account."""
    from publisher import bootstrap
    from publisher.store.models import SiteModel

    bootstrap.ready_store()
    SiteModel(
        site_id="01JDEMOSITE0000000000000000",
        account_id="acct-demo",
        name="Demo",
        slug="demo",
        created_at="2026-11-21T09:00:00Z",
        updated_at="2026-11-21T09:00:00Z",
    ).save()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event_runs_through_its_handler(aws, demo_site, name):
    logical_id, expected = EXPECTED[name]
    event = json.loads((EVENTS / name).read_text())
    if logical_id == "AuthorizerFunction":  # a token in a file cannot stay within MaxTokenLifetimeHours
        event["authorizationToken"] = f"Bearer {token('acct-demo', sub='user-1')}"

    result = load_handler_module(logical_id).lambda_handler(event, FakeLambdaContext())

    if expected == "allow":
        assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        assert result["context"]["account_id"] == "acct-demo"
    elif expected == "batch":
        # the sample names a record this fresh stack does not hold: consumed, not retried forever
        assert result == {"batchItemFailures": []}
    elif isinstance(expected, dict):  # a job's summary on an empty stack: nothing to do, no errors
        assert {key: result[key] for key in expected} == expected
    elif expected == 302:
        assert result["statusCode"] == 302 and result["headers"]["Location"].endswith("console/")
    else:
        assert result["statusCode"] == expected, result["body"]
        body = json.loads(result["body"])
        assert body["success"] is (expected < 400)
