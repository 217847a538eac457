"""One record per (content, destination) through the API and the worker on moto: publish, publish
unchanged, edit and publish, retract, republish — one post at the destination, one record whose
attempts tell the story, the content's status honest at every step, and the destination's
requests counted per step (the unchanged publish makes none)."""

from __future__ import annotations

import pytest

from publisher.identity import Caller
from publisher.services import records
from publisher.services.worker import PublishWorker
from tests.integration.publishing_support import (
    RemoteSite,
    content_now,
    create_site,
    drain,
    make_content,
    owner_token,
    record_now,
    recording_factory,
    records_of,
    webhook_integration,
)
from tests.integration.scheduling_support import put_settings
from tests.support.apigw import call


@pytest.fixture
def site(aws):
    site = create_site()
    webhook_integration(site["id"])
    return site


def publish(content_id: str) -> dict:
    reply = call("POST", "/api/v1/publisher/publish/", token=owner_token(), body={"content_id": content_id})
    assert reply.status == 202, reply.body
    return reply.json["data"]


def changed(content_id: str) -> bool:
    reply = call("GET", f"/api/v1/content/{content_id}/", token=owner_token())
    assert reply.status == 200, reply.body
    return reply.json["data"]["changed_since_publish"]


def step(aws, remote: RemoteSite, worker: PublishWorker, action) -> list[tuple[str, str]]:
    """Run an action, deliver what it queued; the destination calls it caused."""
    before = len(remote.calls)
    action()
    drain(aws, worker)
    return remote.calls[before:]


def test_publish_unchanged_edit_retract_republish_keeps_one_record_and_one_post(aws, site):
    remote = RemoteSite()
    worker = PublishWorker(factory=recording_factory(remote))
    content = make_content(site, slug="tomatoes")
    cid = content.content_id

    first = step(aws, remote, worker, lambda: publish(cid))
    assert first == [("find", "tomatoes"), ("create", "tomatoes")]
    [record] = records_of(cid)
    assert (record.status, int(record.attempts)) == ("published", 1)
    assert content_now(cid).site_status == "published"

    unchanged = step(aws, remote, worker, lambda: publish(cid))
    assert unchanged == []  # nothing sent at all
    [again] = records_of(cid)
    assert again.record_id == record.record_id
    assert (again.status, int(again.attempts)) == ("published", 2)
    assert content_now(cid).site_status == "published"

    assert changed(cid) is False
    stored = content_now(cid)
    stored.update(actions=[type(stored).title.set("Growing better tomatoes")])
    assert changed(cid) is True  # edited after its last publication
    edited = step(aws, remote, worker, lambda: publish(cid))
    assert edited == [("update", "tomatoes")]  # the known post, no lookup
    assert remote.posts[record.external_id].title == "Growing better tomatoes"
    assert changed(cid) is False

    # the API's retract, with the recording destination handed in (the gateway would open the real one)
    caller = Caller(user_id="user-1", account_id="acct-1", role="owner")
    factory = recording_factory(remote)
    retracted = step(aws, remote, worker, lambda: records.retract(caller, record.record_id, factory=factory))
    assert retracted == [("retract", record.external_id)]
    assert record_now(record.record_id).status == "retracted"
    assert content_now(cid).site_status == "not_published"  # nothing is online any more

    restored = step(aws, remote, worker, lambda: publish(cid))
    assert restored == [("update", "tomatoes")]  # the same post, restored
    [final] = records_of(cid)
    assert final.record_id == record.record_id
    assert (final.status, final.external_id) == ("published", record.external_id)
    assert len(remote.posts) == 1 and remote.created == 1
    assert content_now(cid).site_status == "published"

    reply = call("GET", f"/api/v1/publisher/records/{record.record_id}/attempts/", token=owner_token())
    assert reply.status == 200, reply.body
    attempts = reply.json["data"]
    assert [item["outcome"] for item in attempts] == [
        "published",
        "unchanged",
        "updated",
        "retracted",
        "published",
    ]
    assert {item["actor"] for item in attempts} == {"user-1"}
    assert all(item["error"] is None for item in attempts)


def test_a_second_record_for_the_same_pair_is_refused(aws, site):
    content = make_content(site)
    body = {"content_id": content.content_id, "destination": "webhook"}
    first = call("POST", "/api/v1/publisher/records/", token=owner_token(), body=body)
    assert first.status == 201, first.body

    second = call("POST", "/api/v1/publisher/records/", token=owner_token(), body=body)

    assert second.status == 409, second.body
    assert len(records_of(content.content_id)) == 1


def test_only_the_current_record_of_a_pair_can_be_retracted(aws, site):
    content = make_content(site, status="published", site_status="published")
    body = {
        "content_id": content.content_id,
        "destination": "webhook",
        "status": "published",
        "external_id": "p",
    }
    made = call("POST", "/api/v1/publisher/records/", token=owner_token(), body=body)
    assert made.status == 201, made.body
    # the shape before one record per pair: an older record of the same pair, still "published"
    stale = record_now(made.json["data"]["id"])
    stale.record_id, stale.created_at = "00000000000000000000000000", "2000-01-01T00:00:00Z"
    stale.refresh_index_keys()
    stale.save()

    reply = call("POST", f"/api/v1/publisher/records/{stale.record_id}/retract/", token=owner_token())

    assert reply.status == 409, reply.body
    assert "current" in reply.json["error"]
    assert record_now(stale.record_id).status == "published"
    assert content_now(content.content_id).site_status == "published"


def test_with_auto_republish_on_edit_an_edit_of_published_content_goes_out_again(aws, site):
    remote = RemoteSite()
    worker = PublishWorker(factory=recording_factory(remote))
    content = make_content(site, slug="tomatoes")
    cid = content.content_id
    step(aws, remote, worker, lambda: publish(cid))
    put_settings(owner_token(), site["id"], auto_republish_on_edit=True)

    def edit(**fields):
        reply = call("PATCH", f"/api/v1/content/{cid}/", token=owner_token(), body=fields)
        assert reply.status == 200, reply.body
        return reply.json["data"]

    calls = []
    calls.append(step(aws, remote, worker, lambda: calls.append(edit(title="Better tomatoes"))))
    shown, sent = calls

    assert shown["site_status"] == "publishing"
    assert sent == [("update", "tomatoes")]
    assert remote.posts["post-1"].title == "Better tomatoes"
    [record] = records_of(cid)
    assert [entry["outcome"] for entry in record.attempt_log] == ["published", "updated"]
    assert record.attempt_log[-1]["actor"] == "system"
    assert changed(cid) is False


def test_without_auto_republish_an_edit_only_marks_the_content_changed(aws, site):
    remote = RemoteSite()
    worker = PublishWorker(factory=recording_factory(remote))
    cid = make_content(site, slug="tomatoes").content_id
    step(aws, remote, worker, lambda: publish(cid))

    sent = step(
        aws,
        remote,
        worker,
        lambda: call(
            "PATCH", f"/api/v1/content/{cid}/", token=owner_token(), body={"title": "Better tomatoes"}
        ),
    )

    assert sent == []
    assert content_now(cid).site_status == "published" and changed(cid) is True
