"""Publish now, its status, and publishing records, through API Gateway events, the real
authorizer and handler, on moto (S3 for the destination, SQS for the queue)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from publisher.bootstrap import ready_store
from publisher.store.models import IntegrationModel
from publisher.timeutil import iso
from tests.integration.publishing_support import (
    BUCKET,
    PUBLIC_BASE_URL,
    bodies,
    content_now,
    create_site,
    drain,
    make_content,
    receive,
    records_of,
    s3_site,
    tap_events,
)
from tests.integration.scheduling_support import counters, unique_keys
from tests.support.apigw import call
from tests.support.fixtures import stored, token


@pytest.fixture
def site(aws, owner):
    return s3_site(aws)


def publish(tok: str, body: dict | None = None, raw_body: str | None = None):
    return call("POST", "/api/v1/publisher/publish/", token=tok, body=body, raw_body=raw_body)


def snapshot(stack) -> tuple:
    """Everything a publication writes, to prove a refused request wrote nothing."""
    tables = tuple(
        sorted(map(repr, stored(stack, name))) for name in ("ContentTable", "RecordsTable", "UsageTable")
    )
    return tables, len(receive(stack))


# --- publish now -----------------------------------------------------------------------------


def test_given_approved_content_when_published_now_then_202_pending_record_and_one_message(aws, owner, site):
    content = make_content(site)

    reply = publish(owner, {"content_id": content.content_id})

    assert reply.status == 202, reply.body
    data = reply.json["data"]
    assert data["content_id"] == content.content_id
    [record] = data["records"]
    assert (record["destination"], record["status"], record["attempts"]) == ("s3", "pending", 0)
    assert record["account_id"] == "acct-1" and record["site_id"] == site["id"]
    assert content_now(content.content_id).site_status == "publishing"
    [message] = bodies(receive(aws))
    assert message == {
        "record_id": record["id"],
        "content_id": content.content_id,
        "site_id": site["id"],
        "account_id": "acct-1",
        "destination": "s3",
        "scheduled_for": None,
        "deployment_id": None,
        "enqueued_at": message["enqueued_at"],
        "actor": "user-1",
    }


def test_given_a_published_message_when_the_worker_ran_then_the_page_is_live_and_status_says_so(
    aws, owner, site
):
    read_events = tap_events(aws)
    content = make_content(site, title="Tomatoes", slug="tomatoes")
    publish(owner, {"content_id": content.content_id})

    assert drain(aws) == 1
    status = call(
        "GET", "/api/v1/publisher/publish/status/", token=owner, query={"content_id": content.content_id}
    )

    assert status.status == 200
    data = status.json["data"]
    assert data["site_status"] == "published" and data["content_id"] == content.content_id
    [record] = data["records"]
    assert record["status"] == "published" and record["attempts"] == 1
    assert record["external_id"] == "tomatoes/index.html"
    assert record["external_url"] == f"{PUBLIC_BASE_URL}/tomatoes/"
    page = aws.client("s3").get_object(Bucket=BUCKET, Key="tomatoes/index.html")["Body"].read().decode()
    assert "<h1>Tomatoes</h1>" in page
    assert content_now(content.content_id).status == "published"
    [event] = read_events()
    assert event["detail-type"] == "publication.succeeded" and event["source"] == "publisher"
    assert (
        event["detail"]["record_id"] == record["id"]
        and event["detail"]["external_id"] == "tomatoes/index.html"
    )


def test_given_two_integrations_when_one_is_named_then_only_that_destination_gets_a_record(aws, owner, site):
    from tests.integration.publishing_support import webhook_integration

    webhook_integration(site["id"])
    content = make_content(site)

    reply = publish(owner, {"content_id": content.content_id, "destinations": ["s3"]})
    everything = publish(owner, {"content_id": make_content(site).content_id})

    assert [record["destination"] for record in reply.json["data"]["records"]] == ["s3"]
    assert sorted(record["destination"] for record in everything.json["data"]["records"]) == ["s3", "webhook"]


def test_given_a_failed_record_when_published_again_then_the_open_record_is_reused(aws, owner, site):
    content = make_content(site)
    first = publish(owner, {"content_id": content.content_id}).json["data"]["records"][0]
    receive(aws)  # the first message is lost
    item = content_now(content.content_id)
    item.site_status = "failed"
    item.refresh_index_keys()
    item.save()

    again = publish(owner, {"content_id": content.content_id})

    assert again.status == 202
    assert [record["id"] for record in again.json["data"]["records"]] == [first["id"]]
    assert len(records_of(content.content_id)) == 1


def test_given_unscheduled_content_when_published_now_then_it_counts_in_todays_caps(aws, owner, site):
    content = make_content(site)

    publish(owner, {"content_id": content.content_id})

    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert counters(aws)[(site["id"], f"day#{today}")] == 1
    assert content_now(content.content_id).scheduled_publish_at is not None


def test_given_scheduled_content_when_published_now_then_its_slot_is_given_back(aws, owner, site):
    slot = (datetime.now(UTC) + timedelta(days=40)).replace(hour=10, minute=0, second=0, microsecond=0)
    slot += timedelta(days=max(0, 7 - slot.weekday()) if slot.weekday() >= 5 else 0)  # default days: mon-fri
    content = make_content(site)
    scheduled = call(
        "POST",
        f"/api/v1/content/{content.content_id}/schedule/",
        token=owner,
        body={"scheduled_publish_at": iso(slot)},
    )
    assert scheduled.status == 200, scheduled.body
    assert unique_keys(aws, "slot#")

    reply = publish(owner, {"content_id": content.content_id})

    assert reply.status == 202
    assert unique_keys(aws, "slot#") == {}
    counts = counters(aws)
    assert counts[(site["id"], f"day#{slot:%Y-%m-%d}")] == 0
    assert counts[(site["id"], f"day#{datetime.now(UTC):%Y-%m-%d}")] == 1


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"status": "draft"}, 409, "approved or published"),
        ({"status": "review"}, 409, "approved or published"),
        ({"site_status": "publishing"}, 409, "being published"),
    ],
)
def test_given_content_not_publishable_then_409_with_the_reason_and_nothing_written(
    aws, owner, site, fields, status, words
):
    content = make_content(site, **fields)
    before = snapshot(aws)

    reply = publish(owner, {"content_id": content.content_id})

    assert reply.status == status and words in reply.json["error"]
    assert snapshot(aws) == before


def test_given_a_site_without_enabled_integrations_then_409_and_nothing_written(aws, owner):
    site = create_site(owner)
    content = make_content(site)
    before = snapshot(aws)

    reply = publish(owner, {"content_id": content.content_id})

    assert reply.status == 409 and "no enabled integration" in reply.json["error"]
    assert snapshot(aws) == before


@pytest.mark.parametrize(
    ("destinations", "reason"),
    [(["myspace"], "myspace is not one of"), (["ghost"], "no enabled ghost integration"), ([], None)],
)
def test_given_bad_destinations_then_422_with_field_errors_and_nothing_written(
    aws, owner, site, destinations, reason
):
    content = make_content(site)
    before = snapshot(aws)

    reply = publish(owner, {"content_id": content.content_id, "destinations": destinations})

    assert reply.status == 422
    assert "destinations" in reply.json["errors"]
    if reason:
        assert reason in " ".join(reply.json["errors"]["destinations"])
    assert snapshot(aws) == before


def test_given_an_s3_bucket_outside_the_deployment_prefix_then_publishing_is_refused(aws, owner, site):
    ready_store()
    integration = IntegrationModel.get(site["id"], "s3")
    integration.config = {**integration.config, "bucket": "someone-elses-bucket"}
    integration.save()  # stored before the integration API refused such buckets
    content = make_content(site)
    before = snapshot(aws)

    reply = publish(owner, {"content_id": content.content_id})

    assert reply.status == 422
    assert "publisher-site-" in " ".join(reply.json["errors"]["destinations"])
    assert snapshot(aws) == before


@pytest.mark.parametrize(
    ("body", "raw", "status"),
    [({}, None, 422), ({"content_id": "x", "surprise": 1}, None, 422), (None, '{"content_id":', 400)],
)
def test_given_a_malformed_request_then_400_or_422_and_nothing_written(aws, owner, site, body, raw, status):
    make_content(site)
    before = snapshot(aws)

    reply = publish(owner, body, raw_body=raw)

    assert reply.status == status
    assert snapshot(aws) == before


def test_given_a_viewer_or_a_stranger_then_403_or_404_and_nothing_written(aws, site):
    content = make_content(site)
    before = snapshot(aws)

    viewer = publish(token("acct-1", "viewer"), {"content_id": content.content_id})
    stranger = publish(token("acct-2", "owner"), {"content_id": content.content_id})
    status = call(
        "GET",
        "/api/v1/publisher/publish/status/",
        token=token("acct-2", "owner"),
        query={"content_id": content.content_id},
    )

    assert (viewer.status, stranger.status, status.status) == (403, 404, 404)
    assert snapshot(aws) == before


def test_given_no_content_id_when_asking_the_status_then_422(owner):
    reply = call("GET", "/api/v1/publisher/publish/status/", token=owner)

    assert reply.status == 422 and "content_id" in reply.json["errors"]


# --- records ---------------------------------------------------------------------------------


def test_given_records_when_listed_by_content_site_or_status_then_filters_apply_on_both_paths(
    aws, owner, site
):
    first, second = make_content(site), make_content(site)
    publish(owner, {"content_id": first.content_id})
    publish(owner, {"content_id": second.content_id})
    drain(aws)
    publish_again = make_content(site)
    publish(owner, {"content_id": publish_again.content_id})  # stays pending

    for path in ("/api/v1/publisher/records/", "/api/v1/publisher/publishing-records/"):
        by_content = call("GET", path, token=owner, query={"content_id": first.content_id}).json["data"]
        by_site = call("GET", path, token=owner, query={"site_id": site["id"]}).json["data"]
        published = call("GET", path, token=owner, query={"site_id": site["id"], "status": "published"}).json
        pending = call("GET", path, token=owner, query={"status": "pending"}).json["data"]

        assert [record["content_id"] for record in by_content] == [first.content_id]
        assert len(by_site) == 3
        assert {record["content_id"] for record in published["data"]} == {first.content_id, second.content_id}
        assert published["next_cursor"] is None
        assert [record["content_id"] for record in pending] == [publish_again.content_id]


def test_given_many_records_when_paging_then_every_record_comes_once(aws, owner, site):
    ids = set()
    for _ in range(5):
        ids.add(
            publish(owner, {"content_id": make_content(site).content_id, "override_limits": True}).json[
                "data"
            ]["records"][0]["id"]
        )

    seen, cursor = [], None
    while True:
        query = {"site_id": site["id"], "limit": "2", **({"cursor": cursor} if cursor else {})}
        body = call("GET", "/api/v1/publisher/records/", token=owner, query=query).json
        seen += [record["id"] for record in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(ids)


@pytest.mark.parametrize("query", [{"status": "lost"}, {"destination": "myspace"}])
def test_given_an_unknown_filter_value_then_400(owner, query):
    reply = call("GET", "/api/v1/publisher/records/", token=owner, query=query)

    assert reply.status == 400 and set(query) <= set(reply.json["errors"])  # API.md v1.1: malformed query


def test_given_another_accounts_record_then_404_and_their_lists_are_not_ours(aws, owner, site):
    record = publish(owner, {"content_id": make_content(site).content_id}).json["data"]["records"][0]
    stranger = token("acct-2", "owner")

    assert call("GET", f"/api/v1/publisher/records/{record['id']}/", token=stranger).status == 404
    assert call("GET", "/api/v1/publisher/records/", token=stranger).json["data"] == []
    assert (
        call("GET", "/api/v1/publisher/records/", token=stranger, query={"site_id": site["id"]}).status == 404
    )
    assert call("GET", f"/api/v1/publisher/records/{record['id']}/", token=owner).json["data"] == record


def test_given_a_post_made_elsewhere_when_recorded_then_the_next_publication_updates_it(aws, owner, site):
    content = make_content(site, slug="made-by-hand")
    aws.client("s3").put_object(Bucket=BUCKET, Key="old-address/index.html", Body=b"<p>old</p>")
    created = call(
        "POST",
        "/api/v1/publisher/publishing-records/",
        token=owner,
        body={
            "content_id": content.content_id,
            "destination": "s3",
            "status": "published",
            "external_id": "old-address/index.html",
            "external_url": "https://garden.example.com/old-address/",
        },
    )
    assert created.status == 201, created.body
    assert created.json["data"]["metadata"] == {"source": "external"}

    publish(owner, {"content_id": content.content_id})
    drain(aws)

    keys = {item["Key"] for item in aws.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert "made-by-hand/index.html" in keys
    assert "old-address/index.html" in keys  # Publisher did not write it, so it never deletes it
    newest = records_of(content.content_id)[-1]
    assert newest.status == "published" and newest.external_id == "made-by-hand/index.html"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"destination": "s3"}, "content_id"),
        ({"content_id": "C", "destination": "myspace"}, "destination"),
        ({"content_id": "C", "destination": "s3", "status": "published"}, "external_id"),
        ({"content_id": "C", "destination": "s3", "status": "retracted"}, "status"),
    ],
)
def test_given_an_invalid_record_then_422_with_field_errors_and_nothing_written(
    aws, owner, site, body, field
):
    content = make_content(site)
    body = {key: content.content_id if value == "C" else value for key, value in body.items()}

    reply = call("POST", "/api/v1/publisher/records/", token=owner, body=body)

    assert reply.status == 422 and field in reply.json["errors"], reply.body
    assert stored(aws, "RecordsTable") == []


def test_given_a_published_record_when_retracted_then_the_page_is_gone_and_the_record_says_so(
    aws, owner, site
):
    read_events = tap_events(aws)
    content = make_content(site, slug="short-lived")
    publish(owner, {"content_id": content.content_id})
    drain(aws)
    [record] = records_of(content.content_id)
    read_events()

    reply = call("POST", f"/api/v1/publisher/records/{record.record_id}/retract/", token=owner)
    again = call("POST", f"/api/v1/publisher/records/{record.record_id}/retract/", token=owner)

    assert reply.status == 200 and reply.json["data"]["status"] == "retracted"
    assert reply.json["data"]["metadata"]["retracted_at"]
    keys = {item["Key"] for item in aws.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    assert "short-lived/index.html" not in keys
    assert again.status == 409 and "only a published record" in again.json["error"]


def test_given_a_viewer_when_retracting_then_403_and_the_post_stays(aws, owner, site):
    content = make_content(site, slug="stays")
    publish(owner, {"content_id": content.content_id})
    drain(aws)
    [record] = records_of(content.content_id)

    reply = call(
        "POST", f"/api/v1/publisher/records/{record.record_id}/retract/", token=token("acct-1", "viewer")
    )

    assert reply.status == 403
    assert aws.client("s3").head_object(Bucket=BUCKET, Key="stays/index.html")
    assert records_of(content.content_id)[0].status == "published"
