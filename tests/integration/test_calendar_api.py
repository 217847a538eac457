"""Calendar, queue and the iCalendar feed, through API Gateway events on moto."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from publisher.timeutil import iso
from tests.integration.scheduling_support import (
    create_content,
    force_site_status,
    next_weekday,
    put_settings,
    schedule,
)
from tests.support.apigw import call
from tests.support.fixtures import token

MONDAY = 0


@pytest.fixture
def week(owner, site):
    """Monday of a week two weeks ahead, with items scheduled Mon, Tue, Wed at 10:00 UTC, one
    not published, and one published the Friday before."""
    monday = next_weekday(MONDAY)
    items = {}
    for offset, name in enumerate(["mon", "tue", "wed"]):
        item = create_content(owner, site["id"], title=f"Post {name}", status="approved")
        when = monday + timedelta(days=offset, hours=10)
        assert schedule(owner, item["id"], {"scheduled_publish_at": iso(when)}).status == 200
        items[name] = item["id"]
    items["draft"] = create_content(owner, site["id"], title="Draft")["id"]
    published = create_content(owner, site["id"], title="Published", status="approved")
    force_site_status(
        published["id"],
        "published",
        status="published",
        published_at=iso(monday - timedelta(days=3, hours=-9)),
    )
    items["published"] = published["id"]
    return monday, items


def calendar(tok, **query):
    return call("GET", "/api/v1/publisher/calendar/", token=tok, query=query)


def test_given_a_range_then_the_calendar_lists_items_in_it_soonest_first(owner, site, week):
    monday, items = week

    reply = calendar(owner, site_id=site["id"], start=iso(monday), end=iso(monday + timedelta(days=2)))

    assert reply.status == 200, reply.body
    data = reply.json["data"]
    assert [entry["id"] for entry in data] == [items["mon"], items["tue"]]
    assert data[0]["calendar_at"] == data[0]["scheduled_publish_at"] == iso(monday + timedelta(hours=10))
    assert "html" not in data[0]
    assert reply.json["next_cursor"] is None


def test_given_dates_then_they_are_local_days_of_the_site_and_the_end_is_exclusive(owner, site, week):
    monday, items = week
    put_settings(owner, site["id"], timezone="Pacific/Kiritimati")  # UTC+14: 10:00 UTC is 00:00 next day

    reply = calendar(
        owner, site_id=site["id"], start=f"{monday:%Y-%m-%d}", end=f"{monday + timedelta(days=2):%Y-%m-%d}"
    )

    assert reply.status == 200
    # local Mon 00:00 .. Wed 00:00 (+14) is Sun 10:00 .. Tue 10:00 UTC, Tue 10:00 excluded
    assert [entry["id"] for entry in reply.json["data"]] == [items["mon"]]


def test_given_published_items_then_they_appear_at_their_publication_time(owner, site, week):
    monday, items = week

    reply = calendar(owner, site_id=site["id"], start=iso(monday - timedelta(days=7)), end=iso(monday))

    assert [entry["id"] for entry in reply.json["data"]] == [items["published"]]
    assert reply.json["data"][0]["site_status"] == "published"


def test_given_a_limit_then_the_calendar_pages_with_a_cursor(owner, site, week):
    monday, items = week
    query = {
        "site_id": site["id"],
        "start": iso(monday),
        "end": iso(monday + timedelta(days=7)),
        "limit": "2",
    }

    first = calendar(owner, **query)
    second = calendar(owner, **query, cursor=first.json["next_cursor"])

    assert [entry["id"] for entry in first.json["data"]] == [items["mon"], items["tue"]]
    assert [entry["id"] for entry in second.json["data"]] == [items["wed"]]
    assert second.json["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"end": "2026-12-01"}, "start"),
        ({"start": "2026-12-01"}, "end"),
        ({"start": "2026-12-01", "end": "2026-11-30"}, "end"),
        ({"start": "2026-01-01", "end": "2026-04-04"}, "end"),
        ({"start": "yesterday", "end": "2026-12-01"}, "start"),
        ({"start": "2026-12-01T10:00:00", "end": "2026-12-02"}, "start"),
    ],
    ids=["no-start", "no-end", "reversed", "93-days", "not-a-date", "no-offset"],
)
def test_given_a_bad_range_then_422_on_the_field(owner, site, query, field):
    reply = calendar(owner, site_id=site["id"], **query)

    assert reply.status == 422
    assert field in reply.json["errors"]


def test_given_exactly_92_days_then_the_range_is_accepted_and_a_second_more_is_not(owner, site):
    exact = calendar(owner, site_id=site["id"], start="2026-01-01", end="2026-04-03")
    longer = calendar(owner, site_id=site["id"], start="2026-01-01", end="2026-04-03T00:00:01Z")

    assert (exact.status, longer.status) == (200, 422)


def test_given_no_site_or_another_accounts_site_then_all_own_sites_or_404(owner, site):
    """Without site_id: every site of the caller's account (tests/integration/test_all_sites_views.py)."""
    stranger = token("acct-2", "owner")

    own = calendar(owner, start="2026-01-01", end="2026-01-02")
    foreign = calendar(stranger, site_id=site["id"], start="2026-01-01", end="2026-01-02")
    foreign_queue = call("GET", "/api/v1/publisher/queue/", token=stranger, query={"site_id": site["id"]})

    assert (own.status, foreign.status, foreign_queue.status) == (200, 404, 404)
    assert own.json["data"] == []


# --- queue --------------------------------------------------------------------------------


def test_given_items_in_every_state_then_the_queue_holds_scheduled_publishing_failed_soonest_first(
    owner, site, week
):
    monday, items = week
    force_site_status(items["tue"], "publishing")
    failed = create_content(owner, site["id"], title="Failed", status="approved")
    force_site_status(
        failed["id"], "failed", scheduled_publish_at=iso(monday - timedelta(days=1)), last_error="boom"
    )

    reply = call("GET", "/api/v1/publisher/queue/", token=owner, query={"site_id": site["id"]})

    assert reply.status == 200
    data = reply.json["data"]
    assert [entry["id"] for entry in data] == [failed["id"], items["mon"], items["tue"], items["wed"]]
    assert [entry["site_status"] for entry in data] == ["failed", "scheduled", "publishing", "scheduled"]
    assert data[0]["last_error"] == "boom"


def test_given_a_limit_then_the_queue_pages_with_a_cursor(owner, site, week):
    _, items = week

    first = call("GET", "/api/v1/publisher/queue/", token=owner, query={"site_id": site["id"], "limit": "2"})
    second = call(
        "GET",
        "/api/v1/publisher/queue/",
        token=owner,
        query={"site_id": site["id"], "limit": "2", "cursor": first.json["next_cursor"]},
    )

    assert [entry["id"] for entry in first.json["data"]] == [items["mon"], items["tue"]]
    assert [entry["id"] for entry in second.json["data"]] == [items["wed"]]
    assert second.json["next_cursor"] is None


# --- the iCalendar feed -------------------------------------------------------------------


def feed_token(owner, site_id) -> str:
    reply = call("POST", f"/api/v1/sites/{site_id}/calendar-feed-token/", token=owner)
    assert reply.status == 201
    return reply.json["data"]["token"]


def feed(**query):
    return call("GET", "/api/v1/publisher/calendar.ics", query=query)


def test_given_the_feed_token_then_the_feed_has_one_event_per_calendar_item_with_stable_uids(
    owner, site, week
):
    monday, items = week
    secret = feed_token(owner, site["id"])

    reply = feed(site_id=site["id"], token=secret)
    again = feed(site_id=site["id"], token=secret)

    assert reply.status == 200 and reply.headers["Content-Type"] == "text/calendar; charset=utf-8"
    events = Calendar.from_ical(reply.body).walk("VEVENT")
    by_uid = {str(event["UID"]): event for event in events}
    expected = {f"{items[name]}@publisher" for name in ("mon", "tue", "wed", "published")}
    assert set(by_uid) == expected
    monday_event = by_uid[f"{items['mon']}@publisher"]
    assert monday_event.decoded("DTSTART") == monday + timedelta(hours=10)
    assert str(monday_event["SUMMARY"]) == "Post mon" and str(monday_event["STATUS"]) == "TENTATIVE"
    assert again.body == reply.body


@pytest.mark.parametrize("case", ["wrong-token", "unknown-site", "no-site"])
def test_given_a_wrong_token_or_site_then_the_same_404_reveals_nothing(owner, site, case):
    secret = feed_token(owner, site["id"])
    query = {
        "wrong-token": {"site_id": site["id"], "token": secret[:-2] + "xx"},
        "unknown-site": {"site_id": "01NOSUCHSITE0000000000000", "token": secret},
        "no-site": {"token": secret},
    }[case]

    reply = feed(**query)

    assert reply.status == 404
    assert reply.json["error"] == "no calendar feed matches that site and token"


def test_given_no_token_then_401(site):
    reply = feed(site_id=site["id"])

    assert reply.status == 401


def test_given_a_rotated_token_then_the_old_one_stops_working(owner, site):
    old = feed_token(owner, site["id"])
    new = feed_token(owner, site["id"])

    assert feed(site_id=site["id"], token=old).status == 404
    assert feed(site_id=site["id"], token=new).status == 200
