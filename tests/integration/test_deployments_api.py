"""Batch deployments through the API, the queued plan and rollback units (WorkQueue) and the worker:
full and incremental, live atomic counters, exactly one worker finishing, rollback, and every
refusal writing nothing. test_deployment_units.py covers the units' paging and redelivery."""

from __future__ import annotations

import threading

import pytest

from publisher.destinations.base import PermanentDestinationError
from publisher.domain.publishing import PublishMessage
from publisher.services.worker import Delivery, PublishWorker
from tests.integration.publishing_support import (
    BUCKET,
    RemoteSite,
    content_now,
    create_site,
    drain,
    fail_on,
    make_content,
    owner_token,
    receive,
    recording_factory,
    records_of,
    s3_site,
    tap_events,
    webhook_integration,
)
from tests.integration.scheduling_support import atomic_moto_writes
from tests.support.apigw import call
from tests.support.fixtures import stored, token
from tests.support.work_queue import drain_work


def deploy(site_id: str, deployment_type: str = "full", tok: str | None = None, **extra):
    return call(
        "POST",
        "/api/v1/publisher/deployments/",
        token=tok or owner_token(),
        body={"site_id": site_id, "deployment_type": deployment_type, **extra},
    )


def deployment(deployment_id: str, tok: str | None = None) -> dict:
    reply = call("GET", f"/api/v1/publisher/deployments/{deployment_id}/", token=tok or owner_token())
    assert reply.status == 200, reply.body
    return reply.json["data"]


def pages(aws) -> list[str]:
    listing = aws.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return sorted(item["Key"] for item in listing if item["Key"].endswith("/index.html"))


def test_given_a_site_when_fully_deployed_then_every_approved_or_published_item_goes_out(aws, owner):
    read_events = tap_events(aws)
    site = s3_site(aws)
    for slug in ("one", "two"):
        make_content(site, slug=slug)
    make_content(site, slug="three", status="published", site_status="published")
    make_content(site, slug="draft", status="draft")
    make_content(site, slug="later", site_status="scheduled", scheduled_publish_at="2099-01-01T09:00:00Z")

    reply = deploy(site["id"])

    assert reply.status == 202, reply.body
    assert (reply.json["data"]["status"], reply.json["data"]["items_total"]) == ("pending", 0)
    assert receive(aws) == []  # nothing planned in the request
    drain_work(aws)
    started = deployment(reply.json["data"]["id"])
    assert (started["status"], started["items_total"], started["items_deployed"]) == ("deploying", 3, 0)
    assert started["metadata"]["skipped"] == {"scheduled": 1}
    assert drain(aws) == 3
    finished = deployment(started["id"])
    assert (finished["status"], finished["items_deployed"], finished["items_failed"]) == ("completed", 3, 0)
    assert finished["completed_at"] and finished["error_log"] == []
    assert pages(aws) == ["one/index.html", "three/index.html", "two/index.html"]
    records = [record for item in stored(aws, "RecordsTable") for record in [item]]
    assert {record["deployment_id"]["S"] for record in records} == {started["id"]}
    completed = [event for event in read_events() if event["detail-type"] == "deployment.completed"]
    assert len(completed) == 1 and completed[0]["detail"]["id"] == started["id"]


def test_given_one_edit_since_the_last_deployment_then_an_incremental_deployment_sends_only_it(aws, owner):
    site = s3_site(aws)
    kept, edited = make_content(site, slug="kept"), make_content(site, slug="edited")
    deploy(site["id"])
    drain_work(aws)
    drain(aws)
    item = content_now(edited.content_id)
    item.html = "<p>Edited after the deployment.</p>"
    item.save()

    reply = deploy(site["id"], "incremental")
    drain_work(aws)
    planned = deployment(reply.json["data"]["id"])
    drain(aws)

    assert planned["items_total"] == 1
    assert planned["metadata"]["skipped"] == {"unchanged": 1}
    [kept_record], [edited_record] = records_of(kept.content_id), records_of(edited.content_id)
    assert (int(kept_record.attempts), int(edited_record.attempts)) == (1, 2)  # one record per pair
    assert deployment(reply.json["data"]["id"])["status"] == "completed"


def test_given_nothing_changed_then_an_incremental_deployment_completes_at_once_with_nothing_to_do(
    aws, owner
):
    site = s3_site(aws)
    read_events = tap_events(aws)
    make_content(site, slug="steady")
    deploy(site["id"])
    drain_work(aws)
    drain(aws)

    reply = deploy(site["id"], "incremental")
    drain_work(aws)

    assert reply.status == 202
    data = deployment(reply.json["data"]["id"])
    assert (data["status"], data["items_total"], data["started_at"] is not None) == ("completed", 0, True)
    assert receive(aws) == []
    completed = [
        event["detail"]["id"] for event in read_events() if event["detail-type"] == "deployment.completed"
    ]
    assert completed.count(data["id"]) == 1


def test_given_every_item_fails_then_the_deployment_fails_with_the_error_log(aws, owner):
    site = create_site()
    webhook_integration(site["id"])
    for slug in ("a", "b"):
        make_content(site, slug=slug)
    no = PermanentDestinationError("Refused.")
    worker = PublishWorker(factory=recording_factory(RemoteSite(), fail_on({"a": no, "b": no})))

    started = deploy(site["id"]).json["data"]
    drain_work(aws)
    drain(aws, worker)

    finished = deployment(started["id"])
    assert (finished["status"], finished["items_failed"], finished["items_deployed"]) == ("failed", 2, 0)
    assert len(finished["error_log"]) == 2 and all("Refused." in line for line in finished["error_log"])


def test_given_workers_finishing_items_concurrently_then_counters_add_up_and_one_finishes(aws, owner):
    read_events = tap_events(aws)
    site = create_site()
    webhook_integration(site["id"])
    for index in range(6):
        make_content(site, slug=f"item-{index}")
    started = deploy(site["id"], override_limits=True).json["data"]  # 6 items: past the default daily cap
    drain_work(aws)
    deliveries = [
        Delivery(message=PublishMessage.model_validate_json(message["Body"]))
        for message in receive(aws) + receive(aws)
    ]
    assert len(deliveries) == 6
    worker = PublishWorker(factory=recording_factory(RemoteSite()))
    gate = threading.Barrier(len(deliveries))

    def run(delivery: Delivery) -> None:
        gate.wait(timeout=30)
        worker.process(delivery)

    with atomic_moto_writes():
        threads = [threading.Thread(target=run, args=(delivery,)) for delivery in deliveries]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    finished = deployment(started["id"])
    assert (finished["status"], finished["items_deployed"], finished["items_total"]) == ("completed", 6, 6)
    assert len([event for event in read_events() if event["detail-type"] == "deployment.completed"]) == 1


def test_given_a_completed_deployment_when_rolled_back_then_its_posts_are_retracted(aws, owner):
    site = s3_site(aws)
    for slug in ("left", "right"):
        make_content(site, slug=slug)
    started = deploy(site["id"]).json["data"]
    drain_work(aws)
    drain(aws)

    reply = call("POST", f"/api/v1/publisher/deployments/{started['id']}/rollback/", token=owner)
    while_running = call("POST", f"/api/v1/publisher/deployments/{started['id']}/rollback/", token=owner)
    running_pages = pages(aws)
    drain_work(aws)
    after = call("POST", f"/api/v1/publisher/deployments/{started['id']}/rollback/", token=owner)

    assert reply.status == 202, reply.body
    assert reply.json["data"]["status"] == "completed"
    assert reply.json["data"]["rollback"]["state"] == "running"
    assert "items" not in reply.json["data"]["rollback"]
    assert while_running.status == 409 and "running" in while_running.json["error"]
    assert running_pages == ["left/index.html", "right/index.html"]  # nothing retracted in the request
    done = deployment(started["id"])
    assert done["status"] == "rolled_back"
    rollback = done["metadata"]["rollback"]
    assert (rollback["state"], rollback["complete"], rollback["retracted"], rollback["failed"]) == (
        "done",
        True,
        2,
        0,
    )
    assert pages(aws) == []
    assert {item["status"]["S"] for item in stored(aws, "RecordsTable")} == {"retracted"}
    assert after.status == 409 and "rolled_back" in after.json["error"]


def test_given_a_later_publication_then_rollback_keeps_the_post_it_now_carries(aws, owner):
    site = s3_site(aws)
    content = make_content(site, slug="kept-alive")
    started = deploy(site["id"]).json["data"]
    drain_work(aws)
    drain(aws)
    call("POST", "/api/v1/publisher/publish/", token=owner, body={"content_id": content.content_id})
    drain(aws)

    reply = call("POST", f"/api/v1/publisher/deployments/{started['id']}/rollback/", token=owner)
    drain_work(aws)

    # the later publication reused the pair's one record: it is no longer the deployment's to retract
    assert reply.status == 202, reply.body
    done = deployment(started["id"])
    assert done["status"] == "rolled_back"
    assert (done["metadata"]["rollback"]["retracted"], done["metadata"]["rollback"]["kept_newer"]) == (0, 0)
    assert pages(aws) == ["kept-alive/index.html"]


def test_given_a_deployment_still_running_then_rollback_is_409(aws, owner):
    site = s3_site(aws)
    make_content(site)
    started = deploy(site["id"]).json["data"]
    pending = call("POST", f"/api/v1/publisher/deployments/{started['id']}/rollback/", token=owner)
    drain_work(aws)

    reply = call("POST", f"/api/v1/publisher/deployments/{started['id']}/rollback/", token=owner)

    assert pending.status == 409 and "pending" in pending.json["error"]
    assert reply.status == 409 and "deploying" in reply.json["error"]


def deployment_snapshot(stack) -> tuple:
    return tuple(
        sorted(map(repr, stored(stack, name)))
        for name in ("DeploymentsTable", "RecordsTable", "ContentTable")
    )


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"deployment_type": "partial"}, 422, "deployment_type"),
        ({"deployment_type": "full", "extra": True}, 422, "extra"),
        ({}, 422, "deployment_type"),
    ],
)
def test_given_an_invalid_deployment_then_422_and_nothing_written(aws, owner, body, status, field):
    site = s3_site(aws)
    make_content(site)
    before = deployment_snapshot(aws)

    reply = call("POST", "/api/v1/publisher/deployments/", token=owner, body={"site_id": site["id"], **body})

    assert reply.status == status and field in reply.json["errors"]
    assert deployment_snapshot(aws) == before


def test_given_a_viewer_a_stranger_or_no_integration_then_403_404_409_and_nothing_written(aws, owner):
    site = s3_site(aws)
    bare = create_site(slug="bare")
    make_content(site)
    before = deployment_snapshot(aws)

    viewer = deploy(site["id"], tok=token("acct-1", "viewer"))
    stranger = deploy(site["id"], tok=token("acct-2", "owner"))
    without = deploy(bare["id"])

    assert (viewer.status, stranger.status, without.status) == (403, 404, 409)
    assert deployment_snapshot(aws) == before


def test_given_deployments_when_listed_then_newest_first_per_site_and_only_ours(aws, owner):
    site = s3_site(aws)
    make_content(site)
    first = deploy(site["id"]).json["data"]
    drain_work(aws)
    drain(aws)
    second = deploy(site["id"], "incremental").json["data"]

    by_site = call("GET", "/api/v1/publisher/deployments/", token=owner, query={"site_id": site["id"]}).json
    mine = call("GET", "/api/v1/publisher/deployments/", token=owner).json["data"]
    theirs = call("GET", "/api/v1/publisher/deployments/", token=token("acct-2", "owner")).json["data"]

    assert [item["id"] for item in by_site["data"]] == [second["id"], first["id"]]
    assert by_site["next_cursor"] is None
    assert {item["id"] for item in mine} == {first["id"], second["id"]}
    assert theirs == []
    assert call("GET", f"/api/v1/publisher/deployments/{first['id']}/", token=token("acct-2")).status == 404
