"""Deployments and rollbacks as queued work (issue 16, item 5): the request answers 202 at once with
bounded work whatever the site's size; `deployment.plan` and `deployment.rollback` page through the
items with live counters, count each page once when a unit is delivered again, and finish exactly
once (whichever of the plan and the workers comes last)."""

from __future__ import annotations

import json

import pytest

from publisher.destinations.base import PermanentDestinationError
from publisher.services import deployments
from publisher.services.deployments import DEPLOYMENT_PLAN, PAGE
from publisher.services.worker import PublishWorker
from tests.integration.publishing_support import (
    RemoteSite,
    create_site,
    drain,
    make_content,
    owner_token,
    receive,
    recording_factory,
    tap_events,
    webhook_integration,
)
from tests.integration.scheduling_support import put_settings
from tests.support.apigw import call
from tests.support.aws_calls import record_calls
from tests.support.fixtures import token
from tests.support.work_queue import drain_work, invoke_units, receive_work

UNLIMITED = {"daily_publish_limit": None, "weekly_publish_limit": None, "monthly_publish_limit": None}


def webhook_site(slug: str = "garden", **limits) -> dict:
    site = create_site(slug=slug)
    webhook_integration(site["id"])
    put_settings(owner_token(), site["id"], **{**UNLIMITED, **limits})
    return site


def deploy(site_id: str, tok: str | None = None, **extra):
    return call(
        "POST",
        "/api/v1/publisher/deployments/",
        token=tok or owner_token(),
        body={"site_id": site_id, "deployment_type": "full", **extra},
    )


def roll_back(deployment_id: str, tok: str | None = None):
    return call(
        "POST", f"/api/v1/publisher/deployments/{deployment_id}/rollback/", token=tok or owner_token()
    )


def deployment(deployment_id: str) -> dict:
    reply = call("GET", f"/api/v1/publisher/deployments/{deployment_id}/", token=owner_token())
    assert reply.status == 200, reply.body
    return reply.json["data"]


def run_one_unit(aws) -> dict:
    """Deliver the one visible unit of WorkQueue; its body."""
    [message] = receive_work(aws, 1)
    invoke_units(aws, [message])
    return json.loads(message["Body"])


def drain_all(aws, worker=None) -> None:
    """Messages of the publish queue, ten at a time, until none is left (more rounds than `drain`)."""
    while drain(aws, worker):
        pass


def completed_events(read_events, deployment_id: str) -> int:
    return sum(
        1
        for event in read_events()
        if event["detail-type"] == "deployment.completed" and event["detail"]["id"] == deployment_id
    )


@pytest.mark.parametrize("limits", [UNLIMITED, {"daily_publish_limit": 100}], ids=["no cap", "cap 100"])
def test_given_3_or_60_items_then_the_request_makes_the_same_dynamodb_calls_and_answers_202_pending(
    aws, monkeypatch, limits
):
    small, large = webhook_site("small", **limits), webhook_site("large", **limits)
    for _ in range(3):
        make_content(small)
    for _ in range(60):
        make_content(large)
    sent = record_calls(monkeypatch, "dynamodb")

    replies, calls = [], []
    for site in (small, large):
        sent.clear()
        replies.append(deploy(site["id"]))
        calls.append(sent.operations)

    assert [reply.status for reply in replies] == [202, 202]
    assert [reply.json["data"]["status"] for reply in replies] == ["pending", "pending"]
    assert calls[0] == calls[1], calls
    assert not any(operation == "TransactWriteItems" for operation in calls[1])  # no item moved
    assert receive(aws) == []  # no message sent in the request
    print(f"POST /publisher/deployments/ ({limits}): {len(calls[0])} DynamoDB calls for 3 and for 60 items")


def test_given_more_than_a_page_then_the_counters_grow_page_by_page_and_the_deployment_finishes_once(aws):
    read_events = tap_events(aws)
    site = webhook_site()
    for _ in range(PAGE + 5):
        make_content(site)
    started = deploy(site["id"]).json["data"]
    worker = PublishWorker(factory=recording_factory(RemoteSite()))

    assert deployment(started["id"])["status"] == "pending"
    run_one_unit(aws)  # the published phase: nothing published yet
    assert (deployment(started["id"])["status"], deployment(started["id"])["items_total"]) == ("deploying", 0)
    first = run_one_unit(aws)  # a page of approved items
    after_first = deployment(started["id"])
    drain_all(aws, worker)
    between = deployment(started["id"])
    run_one_unit(aws)  # the rest
    drain_all(aws, worker)

    assert first["kind"] == DEPLOYMENT_PLAN and first["payload"]["phase"] == "approved"
    assert (after_first["status"], after_first["items_total"]) == ("deploying", PAGE)
    # every item planned so far is done, but the plan is not: the deployment stays deploying
    assert (between["status"], between["items_deployed"], between["items_total"]) == ("deploying", PAGE, PAGE)
    finished = deployment(started["id"])
    assert (finished["status"], finished["items_total"], finished["items_deployed"]) == (
        "completed",
        PAGE + 5,
        PAGE + 5,
    )
    assert receive_work(aws) == []
    assert completed_events(read_events, started["id"]) == 1


def test_given_the_workers_finish_first_then_the_plans_last_page_finishes_the_deployment_once(aws):
    read_events = tap_events(aws)
    site = webhook_site()
    for _ in range(PAGE):
        make_content(site)
    # the newest candidate, alone on the last page, waits for a time of its own: that page adds nothing
    make_content(site, site_status="scheduled", scheduled_publish_at="2099-01-01T09:00:00Z")
    started = deploy(site["id"]).json["data"]
    run_one_unit(aws)
    run_one_unit(aws)
    drain_all(aws, PublishWorker(factory=recording_factory(RemoteSite())))
    waiting = deployment(started["id"])

    run_one_unit(aws)

    assert (waiting["status"], waiting["items_deployed"], waiting["items_total"]) == ("deploying", PAGE, PAGE)
    assert deployment(started["id"])["status"] == "completed"
    assert completed_events(read_events, started["id"]) == 1


def test_given_a_plan_unit_delivered_twice_then_its_page_is_counted_and_sent_once(aws):
    site = webhook_site()
    for _ in range(3):
        make_content(site)
    started = deploy(site["id"]).json["data"]
    run_one_unit(aws)  # the published phase
    [message] = receive_work(aws, 1)
    payload = json.loads(message["Body"])["payload"]

    invoke_units(aws, [message])
    deployments.plan_page(payload)  # SQS delivers it again

    planned = deployment(started["id"])
    assert (planned["items_total"], planned["metadata"]["skipped"]) == (3, {})
    assert len(receive(aws)) == 3


def test_given_a_page_written_but_not_counted_then_its_redelivery_counts_this_deployments_records(
    aws, monkeypatch
):
    site = webhook_site()
    for _ in range(3):
        make_content(site)
    started = deploy(site["id"]).json["data"]
    run_one_unit(aws)
    [message] = receive_work(aws, 1)
    payload = json.loads(message["Body"])["payload"]
    count_page = deployments._count_page

    def crash(*args, **kwargs):
        raise RuntimeError("the unit's invocation ended")

    monkeypatch.setattr(deployments, "_count_page", crash)
    with pytest.raises(RuntimeError):
        deployments.plan_page(payload)
    monkeypatch.setattr(deployments, "_count_page", count_page)
    deployments.plan_page(payload)

    planned = deployment(started["id"])
    assert (planned["status"], planned["items_total"]) == ("deploying", 3)
    assert planned["metadata"]["skipped"] == {}  # its own items are not "publishing" skips
    assert receive(aws) == []  # not sent twice: the pending records are the cleanup job's to resend


def test_given_the_cap_fills_after_the_request_then_the_refused_item_is_counted_as_a_cap_skip(aws):
    site = webhook_site(daily_publish_limit=2)
    make_content(site)
    make_content(site)
    started = deploy(site["id"])
    make_content(site)  # a third item approved before the plan runs: past the daily cap of 2

    drain_work(aws)

    assert started.status == 202, started.body
    planned = deployment(started.json["data"]["id"])
    assert planned["items_total"] == 2
    assert planned["metadata"]["skipped"] == {deployments.CAP_SKIP: 1}


def test_given_more_candidates_than_the_cap_then_409_reading_at_most_cap_plus_one(aws, monkeypatch):
    site = webhook_site(daily_publish_limit=2)
    for _ in range(40):
        make_content(site)
    sent = record_calls(monkeypatch, "dynamodb")

    reply = deploy(site["id"])

    queries = [(params.get("IndexName"), params.get("Limit")) for params in sent.of("Query")]
    assert reply.status == 409 and "daily cap of 2" in reply.json["error"]
    assert [limit for index, limit in queries if index == "site-site-status-index"] == [3]
    listed = call("GET", "/api/v1/publisher/deployments/", token=owner_token(), query={"site_id": site["id"]})
    assert listed.json["data"] == []


def test_given_a_rollback_then_202_at_once_and_live_counters_until_rolled_back(aws):
    site = webhook_site()
    remote = RemoteSite()
    for _ in range(PAGE + 2):
        make_content(site)
    started = deploy(site["id"]).json["data"]
    drain_work(aws)
    drain_all(aws, PublishWorker(factory=recording_factory(remote)))
    assert deployment(started["id"])["status"] == "completed"

    reply = roll_back(started["id"])
    assert reply.status == 202, reply.body
    assert reply.json["data"]["rollback"]["state"] == "running"
    assert len(remote.posts) == PAGE + 2  # nothing retracted in the request
    [message] = receive_work(aws, 1)
    payload = json.loads(message["Body"])["payload"]
    following = deployments.rollback_page(payload, factory=recording_factory(remote))
    between = deployment(started["id"])
    redelivered = deployments.rollback_page(payload, factory=recording_factory(remote))  # SQS, again
    assert deployment(started["id"])["metadata"]["rollback"] == between["metadata"]["rollback"]
    assert redelivered == following and following["page"] == 1
    assert deployments.rollback_page(following, factory=recording_factory(remote)) is None

    assert (between["status"], between["metadata"]["rollback"]["state"]) == ("completed", "running")
    assert between["metadata"]["rollback"]["retracted"] == PAGE
    done = deployment(started["id"])
    assert done["status"] == "rolled_back"
    assert (done["metadata"]["rollback"]["state"], done["metadata"]["rollback"]["retracted"]) == (
        "done",
        PAGE + 2,
    )
    assert remote.posts == {}


def test_given_a_refused_retraction_then_the_rollback_ends_incomplete_and_a_second_one_finishes(aws):
    site = webhook_site()
    remote = RemoteSite()
    for slug in ("a", "b"):
        make_content(site, slug=slug)
    started = deploy(site["id"]).json["data"]
    drain_work(aws)
    drain_all(aws, PublishWorker(factory=recording_factory(remote)))
    kept = sorted(remote.posts)[0]

    def refuse(operation: str, key: str) -> None:
        if operation == "retract" and key == kept:
            raise PermanentDestinationError("the destination keeps it")

    assert roll_back(started["id"]).status == 202
    [message] = receive_work(aws, 1)
    deployments.rollback_page(
        json.loads(message["Body"])["payload"], factory=recording_factory(remote, refuse)
    )
    partial = deployment(started["id"])
    again = roll_back(started["id"])
    [retry] = [m for m in receive_work(aws, 10) if json.loads(m["Body"])["kind"] == "deployment.rollback"][
        -1:
    ]
    deployments.rollback_page(json.loads(retry["Body"])["payload"], factory=recording_factory(remote))

    rollback = partial["metadata"]["rollback"]
    assert partial["status"] == "completed"
    assert (rollback["state"], rollback["complete"], rollback["retracted"], rollback["failed"]) == (
        "done",
        False,
        1,
        1,
    )
    assert "keeps it" in rollback["failures"][0]["error"]
    assert again.status == 202
    done = deployment(started["id"])
    assert done["status"] == "rolled_back" and done["metadata"]["rollback"]["retracted"] == 2
    assert remote.posts == {}


def test_given_a_viewer_or_another_account_then_rollback_is_403_or_404_and_changes_nothing(aws):
    site = webhook_site()
    make_content(site)
    started = deploy(site["id"]).json["data"]
    drain_work(aws)
    drain_all(aws, PublishWorker(factory=recording_factory(RemoteSite())))
    before = deployment(started["id"])

    viewer = roll_back(started["id"], token("acct-1", "viewer"))
    stranger = roll_back(started["id"], token("acct-2", "owner"))

    assert (viewer.status, stranger.status) == (403, 404)
    assert deployment(started["id"]) == before
    assert receive_work(aws) == []


def test_given_the_site_paused_after_the_request_then_the_plan_waits_and_hands_over_after_resume(aws):
    site = webhook_site()
    make_content(site)
    started = deploy(site["id"]).json["data"]
    assert call("POST", f"/api/v1/sites/{site['id']}/pause/", token=owner_token()).status == 200
    [message] = receive_work(aws, 1)

    invoke_units(aws, [message])

    waiting = deployment(started["id"])
    assert (waiting["status"], waiting["items_total"]) == ("pending", 0)
    assert receive(aws) == []  # nothing handed over while paused
    queue = aws.client("sqs").get_queue_attributes(
        QueueUrl=aws.queue_urls["WorkQueue"], AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )
    assert queue["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"  # the same page, later
    assert call("POST", f"/api/v1/sites/{site['id']}/resume/", token=owner_token()).status == 200
    payload = json.loads(message["Body"])["payload"]
    while payload is not None:  # what the delayed unit and its continuations do once it is visible
        payload = deployments.plan_page(payload)
    assert deployment(started["id"])["items_total"] == 1
    assert len(receive(aws)) == 1
