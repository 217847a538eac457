"""POST /content/{id}/schedule/ {"destinations": [...]}: a schedule publishes only to the named
integrations (each must be an enabled integration of the site); without them, to every enabled
one. The names are stored with the schedule and cleared by unschedule."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from publisher import bootstrap
from publisher.domain.publishing import PublishMessage
from publisher.services.worker import Delivery, PublishWorker
from publisher.store.models import ContentModel, RecordModel
from publisher.timeutil import iso
from tests.integration.publishing_support import (
    put_integration,
    records_of,
    run_job,
    s3_site,
    webhook_integration,
)
from tests.integration.scheduling_support import (
    create_content,
    put_settings,
    schedule,
    snapshot,
    stored_content,
)
from tests.support.apigw import call
from tests.support.fixtures import token

JOB = "ProcessScheduledPublicationsFunction"
ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def site_with_two_destinations(stack, owner) -> dict:
    """A site with two enabled integrations (s3 and webhook) and no slot rules in the way."""
    site = s3_site(stack)
    webhook_integration(site["id"])
    put_settings(
        owner, site["id"], publish_days=ALL_DAYS, publish_time_slots=[{"start": "00:00", "end": "23:59"}]
    )
    return site


@pytest.fixture
def site(aws, owner):
    return site_with_two_destinations(aws, owner)


@pytest.fixture
def approved(owner, site):
    return create_content(owner, site["id"], status="approved")


def sent_messages() -> list[dict]:
    """The entries of every SendMessageBatch to the publish queue the code makes from now on
    (delayed messages are not visible to a receive yet)."""
    entries: list[dict] = []
    work_queue = os.environ["WORK_QUEUE_URL"]  # the jobs' units go there, not to the publish queue
    bootstrap.aws_client("sqs").meta.events.register(
        "provide-client-params.sqs.SendMessageBatch",
        lambda params, **_: entries.extend(params["Entries"] if params["QueueUrl"] != work_queue else []),
    )
    return entries


def a_time(days: int = 3) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(hour=10, minute=7, second=0, microsecond=0)


def test_given_named_destinations_when_the_job_hands_over_then_only_those_get_records_and_messages(
    aws, owner, approved
):
    when = a_time()

    reply = schedule(owner, approved["id"], {"scheduled_publish_at": iso(when), "destinations": ["webhook"]})
    assert reply.status == 200, reply.body
    assert reply.json["data"]["destinations"] == ["webhook"]

    sent = sent_messages()

    summary = run_job(JOB, when - timedelta(minutes=2))

    assert summary["enqueued"] == 1
    assert [record.destination for record in records_of(approved["id"])] == ["webhook"]
    assert [json.loads(entry["MessageBody"])["destination"] for entry in sent] == ["webhook"]


def test_given_no_destinations_when_the_job_hands_over_then_every_enabled_integration_gets_one(
    aws, owner, approved
):
    when = a_time()

    reply = schedule(owner, approved["id"], {"scheduled_publish_at": iso(when)})
    assert reply.status == 200, reply.body
    assert reply.json["data"]["destinations"] is None

    run_job(JOB, when - timedelta(minutes=2))

    assert sorted(record.destination for record in records_of(approved["id"])) == ["s3", "webhook"]


def test_given_named_destinations_when_rescheduled_without_them_then_back_to_every_integration(
    aws, owner, approved
):
    first = schedule(owner, approved["id"], {"scheduled_publish_at": iso(a_time(3)), "destinations": ["s3"]})
    assert first.json["data"]["destinations"] == ["s3"]

    again = schedule(owner, approved["id"], {"scheduled_publish_at": iso(a_time(4))})

    assert again.status == 200, again.body
    assert again.json["data"]["destinations"] is None
    assert stored_content(approved["id"]).schedule_destinations is None


def test_given_named_destinations_when_unscheduled_then_they_are_cleared(aws, owner, approved):
    schedule(owner, approved["id"], {"scheduled_publish_at": iso(a_time()), "destinations": ["webhook"]})

    reply = call("POST", f"/api/v1/content/{approved['id']}/unschedule/", token=owner)

    assert reply.status == 200, reply.body
    assert reply.json["data"]["destinations"] is None
    assert stored_content(approved["id"]).schedule_destinations is None


def test_given_destinations_when_scheduling_then_history_names_them(aws, owner, approved):
    schedule(owner, approved["id"], {"scheduled_publish_at": iso(a_time()), "destinations": ["webhook"]})

    entries = call("GET", f"/api/v1/content/{approved['id']}/history/", token=owner).json["data"]

    assert entries[0]["action"] == "schedule"
    assert entries[0]["detail"]["destinations"] == ["webhook"]


@pytest.mark.parametrize(
    "destinations",
    [
        ["ghost"],  # a destination the site has no integration for
        ["webhook", "wordpress"],  # one of them not configured
        ["myspace"],  # no destination at all
        [],  # an empty list says nothing
    ],
)
def test_given_destinations_that_are_not_enabled_integrations_then_422_and_nothing_written(
    aws, owner, approved, destinations
):
    before = snapshot(aws)

    reply = schedule(
        owner, approved["id"], {"scheduled_publish_at": iso(a_time()), "destinations": destinations}
    )

    assert reply.status == 422, reply.body
    assert "destinations" in reply.json["errors"]
    assert snapshot(aws) == before


def test_given_a_disabled_integration_when_named_then_422(aws, owner, site, approved):
    put_integration(
        site["id"], "webhook", {"enabled": False, "config": {"url": "https://hooks.example.com/publisher"}}
    )
    before = snapshot(aws)

    reply = schedule(owner, approved["id"], {"destinations": ["webhook"]})

    assert reply.status == 422, reply.body
    assert reply.json["errors"]["destinations"] == ["webhook is not an enabled integration of the site"]
    assert snapshot(aws) == before


def test_given_named_destination_disabled_after_scheduling_when_due_then_nothing_is_sent(
    aws, owner, site, approved
):
    when = a_time()
    schedule(owner, approved["id"], {"scheduled_publish_at": iso(when), "destinations": ["webhook"]})
    put_integration(
        site["id"], "webhook", {"enabled": False, "config": {"url": "https://hooks.example.com/publisher"}}
    )

    sent = sent_messages()

    run_job(JOB, when - timedelta(minutes=2))

    assert records_of(approved["id"]) == []  # s3 was not named: it gets nothing either
    assert sent == []
    assert stored_content(approved["id"]).site_status == "failed"  # missed: nothing to publish to


def test_given_viewer_when_scheduling_with_destinations_then_403(aws, owner, approved):
    viewer = token("acct-1", "viewer")
    reply = schedule(viewer, approved["id"], {"destinations": ["webhook"]})
    assert reply.status == 403


def test_given_other_account_when_scheduling_with_destinations_then_404(aws, approved):
    stranger = token("acct-2", "owner")
    reply = schedule(stranger, approved["id"], {"destinations": ["webhook"]})
    assert reply.status == 404


def test_given_an_old_failed_record_of_a_destination_not_named_when_the_named_one_publishes_then_published(
    aws, owner, approved
):
    """A scheduled publication settles on the destinations its schedule named: an older failed
    record of another destination does not make the content fail."""
    stale = RecordModel(
        record_id="webhook-stale",
        account_id=approved["account_id"],
        site_id=approved["site_id"],
        content_id=approved["id"],
        destination="webhook",
        status="failed",
        attempts=5,
        error="gave up after 5 attempts",
        metadata={},
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
    )
    stale.refresh_index_keys()
    stale.save()
    stored_content(approved["id"]).update(actions=[ContentModel.no_records.remove()])  # as a record's writer
    when = a_time()
    schedule(owner, approved["id"], {"scheduled_publish_at": iso(when), "destinations": ["s3"]})
    sent = sent_messages()
    run_job(JOB, when - timedelta(minutes=2))
    [entry] = sent

    outcome = PublishWorker().process(
        Delivery(message=PublishMessage.model_validate_json(entry["MessageBody"]), receive_count=1)
    )

    assert outcome == "published"
    assert stored_content(approved["id"]).site_status == "published"
