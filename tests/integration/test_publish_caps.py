"""Publish-now and deployments count toward the caps: 409 naming the cap, unless an admin or
owner sends `override_limits` (API.md v1.1, "Publications")."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.publishing_support import (
    content_now,
    create_site,
    make_content,
    owner_token,
    receive,
    records_of,
    webhook_integration,
)
from tests.integration.scheduling_support import atomic_moto_writes, counters, put_settings
from tests.support.apigw import call
from tests.support.fixtures import token
from tests.support.work_queue import drain_work


@pytest.fixture
def site(aws):
    site = create_site()
    webhook_integration(site["id"])
    put_settings(
        owner_token(),
        site["id"],
        daily_publish_limit=1,
        weekly_publish_limit=None,
        monthly_publish_limit=None,
    )
    return site


def publish(body: dict, tok: str | None = None):
    return call("POST", "/api/v1/publisher/publish/", token=tok or owner_token(), body=body)


def test_a_second_publish_now_on_a_one_a_day_site_is_409_naming_the_cap(aws, site):
    first, second = make_content(site), make_content(site)
    assert publish({"content_id": first.content_id}).status == 202

    reply = publish({"content_id": second.content_id})

    assert reply.status == 409, reply.body
    assert "daily cap of 1" in reply.json["error"]
    assert content_now(second.content_id).site_status == "not_published"  # nothing written
    assert len(receive(aws)) == 1  # only the first one's message


def test_two_simultaneous_publish_now_on_a_one_a_day_site_one_is_202_and_the_other_409_naming_the_cap(
    aws, site
):
    items = [make_content(site), make_content(site)]
    start = threading.Barrier(len(items))

    def publish_at_once(content):
        start.wait()
        return publish({"content_id": content.content_id})

    with atomic_moto_writes(), ThreadPoolExecutor(max_workers=len(items)) as pool:
        replies = list(pool.map(publish_at_once, items))

    assert sorted(reply.status for reply in replies) == [202, 409], [reply.body for reply in replies]
    lost = next(item for item, reply in zip(items, replies, strict=True) if reply.status == 409)
    assert "daily cap of 1" in next(reply for reply in replies if reply.status == 409).json["error"]
    assert content_now(lost.content_id).site_status == "not_published" and records_of(lost.content_id) == []
    day_counts = [count for (site_id, period), count in counters(aws).items() if period.startswith("day#")]
    assert day_counts == [1]
    assert len(receive(aws)) == 1  # one message: the winner's


def test_publishing_scheduled_content_now_moves_its_place_and_a_full_cap_still_refuses_another(aws, site):
    scheduled = make_content(site)
    assert (
        call("POST", f"/api/v1/content/{scheduled.content_id}/schedule/", token=owner_token(), body={}).status
        == 200
    )
    waiting = make_content(site)

    moved = publish({"content_id": scheduled.content_id})
    refused = publish({"content_id": waiting.content_id})

    assert moved.status == 202, moved.body
    assert refused.status == 409 and "daily cap of 1" in refused.json["error"]
    day_counts = {period: count for (_, period), count in counters(aws).items() if period.startswith("day#")}
    assert sum(day_counts.values()) == 1  # the slot's day gave its place back to today's (or kept it)


def test_an_owner_may_override_the_cap_and_an_editor_may_not(aws, site):
    first, second = make_content(site), make_content(site)
    assert publish({"content_id": first.content_id}).status == 202

    refused = publish({"content_id": second.content_id, "override_limits": True}, token("acct-1", "editor"))
    allowed = publish({"content_id": second.content_id, "override_limits": True})

    assert refused.status == 403, refused.body
    assert allowed.status == 202, allowed.body
    assert content_now(second.content_id).site_status == "publishing"


def test_a_full_deployment_past_the_cap_is_409_unless_overridden(aws, site):
    make_content(site)
    make_content(site)
    body = {"site_id": site["id"], "deployment_type": "full"}

    refused = call("POST", "/api/v1/publisher/deployments/", token=owner_token(), body=body)
    allowed = call(
        "POST", "/api/v1/publisher/deployments/", token=owner_token(), body={**body, "override_limits": True}
    )

    assert refused.status == 409, refused.body
    assert "daily cap of 1" in refused.json["error"]
    assert allowed.status == 202, allowed.body
    drain_work(aws)  # the deployment's plan
    planned = call("GET", f"/api/v1/publisher/deployments/{allowed.json['data']['id']}/", token=owner_token())
    assert planned.json["data"]["items_total"] == 2
    listed = call("GET", "/api/v1/publisher/deployments/", token=owner_token(), query={"site_id": site["id"]})
    assert len(listed.json["data"]) == 1  # the refused one left nothing behind
