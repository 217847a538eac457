"""DELETE /content/{id}/ and bulk `delete`: the content, its records, history, slug and minute claims
go, and the places it held in the caps are given back; 409 while publishing or online (unless
?retract=true: retracted, then deleted); roles, tenancy, events. And two bulk schedules racing on a
capped site never schedule more than the cap."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from publisher.bootstrap import ready_store
from publisher.services import deletion
from publisher.services.worker import PublishWorker
from publisher.store.models import ContentBodyModel, HistoryEntryModel, TitleWordModel
from publisher.timeutil import iso
from tests.integration.publishing_support import (
    BUCKET,
    RemoteSite,
    drain,
    make_content,
    owner_token,
    recording_factory,
    records_of,
    s3_site,
    tap_events,
)
from tests.integration.scheduling_support import (
    atomic_moto_writes,
    counters,
    create_content,
    put_settings,
    unique_keys,
)
from tests.support.apigw import call
from tests.support.aws_calls import record_calls
from tests.support.fixtures import token
from tests.support.snapshot import writes_nothing
from tests.support.work_queue import drain_work

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@pytest.fixture
def site(webhook_site):
    return webhook_site


def delete(content_id: str, tok: str | None = None, **query: str):
    return call("DELETE", f"/api/v1/content/{content_id}/", token=tok or owner_token(), query=query)


def bulk(body: dict, tok: str | None = None):
    return call("POST", "/api/v1/content/bulk/", token=tok or owner_token(), body=body)


def trail(content_id: str) -> list[HistoryEntryModel]:
    ready_store()
    return list(HistoryEntryModel.query(HistoryEntryModel.key_of(content_id)))


def published(aws, site: dict, remote: RemoteSite) -> str:
    """Content published through the API and the worker (a recording destination)."""
    item = make_content(site)
    reply = call(
        "POST", "/api/v1/publisher/publish/", token=owner_token(), body={"content_id": item.content_id}
    )
    assert reply.status == 202, reply.body
    drain(aws, PublishWorker(factory=recording_factory(remote)))
    assert [record.status for record in records_of(item.content_id)] == ["published"]
    return item.content_id


def test_given_edited_content_when_deleted_then_it_its_history_and_its_slug_are_gone(aws, site):
    item = create_content(owner_token(), site["id"], status="draft", slug="tomatoes")
    assert (
        call("PATCH", f"/api/v1/content/{item['id']}/", token=owner_token(), body={"status": "review"}).status
        == 200
    )
    assert trail(item["id"])
    events = tap_events(aws)

    reply = delete(item["id"], token("acct-1", "editor"))

    assert reply.status == 200, reply.body
    assert reply.json["data"] == {"id": item["id"], "deleted": True}
    assert call("GET", f"/api/v1/content/{item['id']}/", token=owner_token()).status == 404
    assert trail(item["id"]) == []
    assert unique_keys(aws, "content-slug#") == {}
    assert ContentBodyModel.count(ContentBodyModel.key_of(item["id"])) == 0  # the body item too
    assert list(TitleWordModel.query(TitleWordModel.key_of(site["id"]))) == []  # and the title's words
    again = create_content(owner_token(), site["id"], slug="tomatoes")
    assert again["slug"] == "tomatoes"  # the slug is free again
    assert [e["detail"]["content_id"] for e in events() if e["detail-type"] == "content.deleted"] == [
        item["id"]
    ]
    assert delete(item["id"]).status == 404


def test_given_content_scheduled_in_the_future_when_deleted_then_its_minute_and_cap_places_are_freed(
    aws, site
):
    put_settings(
        owner_token(),
        site["id"],
        publish_days=EVERY_DAY,
        publish_time_slots=[{"start": "09:00", "end": "10:00"}],
        daily_publish_limit=1,
        weekly_publish_limit=None,
        monthly_publish_limit=None,
    )
    when = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    first, second = (create_content(owner_token(), site["id"], status="approved") for _ in range(2))
    explicit = {"scheduled_publish_at": iso(when)}
    assert (
        call("POST", f"/api/v1/content/{first['id']}/schedule/", token=owner_token(), body=explicit).status
        == 200
    )
    refused = call("POST", f"/api/v1/content/{second['id']}/schedule/", token=owner_token(), body=explicit)
    assert refused.status == 409  # the minute and the day are taken
    day = next(period for (_, period) in counters(aws) if period.startswith("day#"))

    assert delete(first["id"]).status == 200

    assert counters(aws)[(site["id"], day)] == 0
    assert unique_keys(aws, "slot#") == {}
    taken = call("POST", f"/api/v1/content/{second['id']}/schedule/", token=owner_token(), body=explicit)
    assert taken.status == 200, taken.body


def test_given_content_being_published_then_delete_is_a_409_that_writes_nothing(aws, site):
    item = make_content(site, site_status="publishing")

    with writes_nothing(aws):
        reply = delete(item.content_id, retract="true")

    assert reply.status == 409 and "being published" in reply.json["error"]


def test_given_online_content_then_delete_is_a_409_naming_the_destination(aws, site):
    content_id = published(aws, site, RemoteSite())

    with writes_nothing(aws):
        reply = delete(content_id)

    assert reply.status == 409 and "online (webhook)" in reply.json["error"]
    assert "?retract=true" in reply.json["error"]


def test_given_online_content_when_the_retract_unit_runs_then_it_is_retracted_and_deleted(aws, site):
    remote = RemoteSite()
    content_id = published(aws, site, remote)
    [record] = records_of(content_id)

    deletion.retract_and_delete(
        {"content_id": content_id, "actor": "ed", "role": "editor"}, factory=recording_factory(remote)
    )

    assert ("retract", record.external_id) in remote.calls and remote.posts == {}
    assert call("GET", f"/api/v1/content/{content_id}/", token=owner_token()).status == 404
    assert records_of(content_id) == [] and trail(content_id) == []


@pytest.mark.parametrize(
    ("tok", "status"), [(token("acct-1", "viewer"), 403), (token("acct-2", "owner"), 404)]
)
def test_given_a_viewer_or_another_account_then_delete_writes_nothing(aws, site, tok, status):
    item = make_content(site)

    with writes_nothing(aws):
        assert delete(item.content_id, tok).status == status
        assert bulk({"action": "delete", "ids": [item.content_id]}, tok).status == (
            403 if status == 403 else 200
        )


def test_given_a_malformed_retract_flag_then_400_and_nothing_written(aws, site):
    item = make_content(site)

    with writes_nothing(aws):
        reply = delete(item.content_id, retract="maybe")

    assert reply.status == 400, reply.body


def test_given_mixed_items_when_deleting_in_bulk_then_each_is_deleted_or_refused_alone(aws, site):
    remote = RemoteSite()
    online = published(aws, site, remote)
    draft = make_content(site, status="draft")
    busy = make_content(site, site_status="publishing")
    foreign = make_content({"id": "elsewhere", "account_id": "acct-2"})

    reply = bulk({"action": "delete", "ids": [draft.content_id, online, busy.content_id, foreign.content_id]})

    assert reply.status == 200, reply.body
    results = reply.json["data"]["results"]
    assert [(r["id"], r["ok"], r["status"]) for r in results] == [
        (draft.content_id, True, 200),
        (online, False, 409),
        (busy.content_id, False, 409),
        (foreign.content_id, False, 404),
    ]
    assert results[0]["data"] == {"id": draft.content_id, "deleted": True}
    assert call("GET", f"/api/v1/content/{draft.content_id}/", token=owner_token()).status == 404
    assert call("GET", f"/api/v1/content/{online}/", token=owner_token()).status == 200


def test_given_two_bulk_schedules_racing_on_a_capped_site_then_the_caps_hold_exactly(aws, site):
    put_settings(
        owner_token(),
        site["id"],
        publish_days=EVERY_DAY,
        publish_time_slots=[{"start": "09:00", "end": "17:00"}],
        daily_publish_limit=2,
        weekly_publish_limit=5,
        monthly_publish_limit=None,
    )
    ids = [create_content(owner_token(), site["id"], status="approved")["id"] for _ in range(12)]
    halves = [ids[0::2], ids[1::2]]
    replies: list = []
    gate = threading.Barrier(2)

    def run(half: list[str]) -> None:
        gate.wait(timeout=30)
        replies.append(bulk({"action": "schedule", "ids": half}))

    with atomic_moto_writes():
        threads = [threading.Thread(target=run, args=(half,)) for half in halves]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)

    results = [r for reply in replies for r in reply.json["data"]["results"]]
    scheduled = [r["data"]["scheduled_publish_at"] for r in results if r["ok"]]
    assert len(results) == 12 and len(scheduled) == 12  # each finds a free slot (within 400 days)
    assert len(set(scheduled)) == 12  # never two in one minute
    per_day: dict[str, int] = {}
    for moment in scheduled:
        per_day[moment[:10]] = per_day.get(moment[:10], 0) + 1
    assert max(per_day.values()) <= 2
    per_week: dict[tuple[int, int], int] = {}
    for moment in scheduled:
        week = datetime.fromisoformat(moment).isocalendar()[:2]
        per_week[week] = per_week.get(week, 0) + 1
    assert max(per_week.values()) <= 5
    stored = {period: count for (_, period), count in counters(aws).items()}
    assert all(count <= 2 for period, count in stored.items() if period.startswith("day#"))
    assert all(count <= 5 for period, count in stored.items() if period.startswith("week#"))
    assert sum(count for period, count in stored.items() if period.startswith("day#")) == 12


def test_given_online_content_when_deleted_with_retract_then_202_and_the_unit_takes_it_down_then_deletes(aws):
    site = s3_site(aws)
    item = make_content(site)
    reply = call(
        "POST", "/api/v1/publisher/publish/", token=owner_token(), body={"content_id": item.content_id}
    )
    assert reply.status == 202, reply.body
    drain(aws)
    [record] = records_of(item.content_id)
    s3 = aws.client("s3")
    page = f"{item.slug}/index.html"
    assert page in [obj["Key"] for obj in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]

    accepted = delete(item.content_id, retract="true")

    assert accepted.status == 202, accepted.body
    assert accepted.json["data"] == {
        "id": item.content_id,
        "deleted": False,
        "retracting": [record.record_id],
    }
    assert drain_work(aws) == 1
    assert page not in [obj["Key"] for obj in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert call("GET", f"/api/v1/content/{item.content_id}/", token=owner_token()).status == 404
    assert records_of(item.content_id) == [] and trail(item.content_id) == []


def test_dynamodb_calls_per_bulk_delete_item(aws, site, monkeypatch):
    """Measures (and bounds) the DynamoDB calls one more deleted item costs, for the report."""
    ids = [make_content(site).content_id for _ in range(6)]
    sent = record_calls(monkeypatch, "dynamodb")

    def calls(some: list[str]) -> int:
        sent.clear()
        assert all(r["ok"] for r in bulk({"action": "delete", "ids": some}).json["data"]["results"])
        return sent.count()

    one, five = calls(ids[:1]), calls(ids[1:])
    per_item = (five - one) / 4
    last = sent.operations
    print(f"bulk delete: {one} DynamoDB calls for 1 item, {five} for 5: {per_item} per item; last: {last}")
    # GetItem (content), Query (its records), TransactWriteItems (content + slug claim),
    # Query (its records, again after the commit), Query (its history)
    assert per_item == 5
