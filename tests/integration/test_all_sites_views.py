"""The calendar and the queue without `site_id` (every site of the caller's account), and `local_time`
beside every UTC time in calendar entries, queue entries and content: through the gateway on moto."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.integration.scheduling_support import create_content, create_site, force_site_status, put_settings
from tests.support.apigw import call
from tests.support.aws_calls import record_calls
from tests.support.fixtures import token

RANGE = {"start": "2027-03-01", "end": "2027-04-01"}


def scheduled(tok: str, site_id: str, title: str, at: str) -> str:
    """Content of the site scheduled at `at` (UTC), put straight into that state."""
    item = create_content(tok, site_id, title=title, status="approved")
    force_site_status(item["id"], "scheduled", scheduled_publish_at=at)
    return item["id"]


@pytest.fixture
def two_zones(owner):
    """Paris (EU summer time starts 2027-03-28) and New York (US: 2027-03-14), two items each, one on
    either side of the change; and another account's site with an item in the same range."""
    paris = create_site(owner, name="Paris", url="https://paris.example.com")
    put_settings(owner, paris["id"], timezone="Europe/Paris")
    new_york = create_site(owner, name="New York", url="https://ny.example.com")
    put_settings(owner, new_york["id"], timezone="America/New_York")
    items = {
        "ny-winter": scheduled(owner, new_york["id"], "NY winter", "2027-03-10T15:00:00Z"),
        "ny-summer": scheduled(owner, new_york["id"], "NY summer", "2027-03-20T15:00:00Z"),
        "paris-winter": scheduled(owner, paris["id"], "Paris winter", "2027-03-27T09:00:00Z"),
        "paris-summer": scheduled(owner, paris["id"], "Paris summer", "2027-03-29T09:00:00Z"),
    }
    stranger = token("acct-stranger", "owner")
    theirs = create_site(stranger, name="Theirs")
    scheduled(stranger, theirs["id"], "Not yours", "2027-03-15T12:00:00Z")
    return {"paris": paris["id"], "new_york": new_york["id"], "items": items}


EXPECTED_LOCAL = {
    "ny-winter": "2027-03-10T10:00:00-05:00",
    "ny-summer": "2027-03-20T11:00:00-04:00",
    "paris-winter": "2027-03-27T10:00:00+01:00",
    "paris-summer": "2027-03-29T11:00:00+02:00",
}


def test_given_no_site_id_then_the_calendar_merges_every_site_of_the_account_with_local_times(
    owner, two_zones
):
    reply = call("GET", "/api/v1/publisher/calendar/", token=owner, query=RANGE)

    assert reply.status == 200, reply.body
    data = reply.json["data"]
    items = two_zones["items"]
    assert [entry["id"] for entry in data] == [
        items["ny-winter"],
        items["ny-summer"],
        items["paris-winter"],
        items["paris-summer"],
    ]
    by_id = {entry["id"]: entry for entry in data}
    for name, local in EXPECTED_LOCAL.items():
        entry = by_id[items[name]]
        assert entry["site_id"] == two_zones["new_york" if name.startswith("ny") else "paris"]
        assert entry["local_time"]["scheduled_publish_at"] == local
        assert entry["local_time"]["calendar_at"] == local
        assert entry["timezone"] == ("America/New_York" if name.startswith("ny") else "Europe/Paris")
    assert reply.json["next_cursor"] is None


def test_given_no_site_id_then_the_queue_covers_every_site_and_pages_across_them(owner, two_zones):
    items = two_zones["items"]
    first = call("GET", "/api/v1/publisher/queue/", token=owner, query={"limit": "3"})
    assert first.status == 200, first.body
    second = call(
        "GET",
        "/api/v1/publisher/queue/",
        token=owner,
        query={"limit": "3", "cursor": first.json["next_cursor"]},
    )

    assert second.status == 200, second.body
    assert [entry["id"] for entry in first.json["data"]] == [
        items["ny-winter"],
        items["ny-summer"],
        items["paris-winter"],
    ]
    assert [entry["id"] for entry in second.json["data"]] == [items["paris-summer"]]
    assert second.json["next_cursor"] is None
    assert second.json["data"][0]["local_time"]["scheduled_publish_at"] == EXPECTED_LOCAL["paris-summer"]


def test_given_a_site_id_then_the_views_keep_to_that_site_with_its_local_times(owner, two_zones):
    paris = two_zones["paris"]

    calendar = call("GET", "/api/v1/publisher/calendar/", token=owner, query={**RANGE, "site_id": paris})
    queue = call("GET", "/api/v1/publisher/queue/", token=owner, query={"site_id": paris})

    expected = [two_zones["items"]["paris-winter"], two_zones["items"]["paris-summer"]]
    assert [entry["id"] for entry in calendar.json["data"]] == expected
    assert [entry["id"] for entry in queue.json["data"]] == expected
    assert {entry["local_time"]["scheduled_publish_at"] for entry in queue.json["data"]} == {
        EXPECTED_LOCAL["paris-winter"],
        EXPECTED_LOCAL["paris-summer"],
    }


def test_given_another_account_then_its_all_sites_views_show_none_of_these_sites(two_zones):
    stranger = token("acct-stranger", "admin")

    calendar = call("GET", "/api/v1/publisher/calendar/", token=stranger, query=RANGE)
    queue = call("GET", "/api/v1/publisher/queue/", token=stranger)

    assert calendar.status == queue.status == 200
    assert [entry["title"] for entry in calendar.json["data"]] == ["Not yours"]
    assert [entry["title"] for entry in queue.json["data"]] == ["Not yours"]
    ours = {two_zones["paris"], two_zones["new_york"]}
    assert not ours & {entry["site_id"] for entry in calendar.json["data"] + queue.json["data"]}


def test_given_a_content_item_then_its_view_carries_every_time_in_the_sites_zone(owner, two_zones):
    content_id = two_zones["items"]["paris-summer"]

    reply = call("GET", f"/api/v1/content/{content_id}/", token=owner)

    assert reply.status == 200, reply.body
    data = reply.json["data"]
    assert data["timezone"] == "Europe/Paris"
    assert data["local_time"]["scheduled_publish_at"] == EXPECTED_LOCAL["paris-summer"]
    assert set(data["local_time"]) == {
        "scheduled_publish_at",
        "site_status_updated_at",
        "created_at",
        "updated_at",
    }
    created = datetime.fromisoformat(data["created_at"].replace("Z", "+00:00"))
    assert data["local_time"]["created_at"] == created.astimezone(ZoneInfo("Europe/Paris")).isoformat()


def test_given_more_sites_than_the_bound_then_the_all_sites_view_asks_for_a_site(
    owner, two_zones, monkeypatch
):
    from publisher.services import calendar

    monkeypatch.setattr(calendar, "MAX_VIEW_SITES", 1)

    reply = call("GET", "/api/v1/publisher/queue/", token=owner)

    assert reply.status == 422, reply.body
    assert "site_id" in reply.json["errors"]


def test_dynamodb_calls_per_site_of_an_all_sites_view(owner, two_zones, monkeypatch):
    """Measures (and bounds) what one more (empty) site costs an all-sites view, for the report."""
    sent = record_calls(monkeypatch, "dynamodb")

    def calls(path: str, query: dict) -> int:
        sent.clear()
        assert call("GET", path, token=owner, query=query).status == 200
        return sent.count()

    views = {"calendar": ("/api/v1/publisher/calendar/", RANGE), "queue": ("/api/v1/publisher/queue/", {})}
    two = {name: calls(*view) for name, view in views.items()}
    create_site(owner, name="Empty", url="https://empty.example.com")
    three = {name: calls(*view) for name, view in views.items()}
    per_site = {name: three[name] - two[name] for name in views}
    print(f"all-sites views: {two} DynamoDB calls for 2 sites, {three} for 3: {per_site} per site")
    assert per_site == {"calendar": 2, "queue": 5}  # GetItem (settings) + one Query per status read (4)
