"""Publishing settings, the slot preview and the calendar feed token, through API Gateway events."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from publisher.domain.publishing_settings import PublishingSettings
from publisher.domain.slots import assign_slots, site_jitter
from publisher.timeutil import iso, parse_iso
from tests.integration.scheduling_support import (
    counters,
    create_content,
    next_weekday,
    put_settings,
    schedule,
    snapshot,
)
from tests.support.apigw import call
from tests.support.fixtures import stored, token

DEFAULTS = {
    "auto_approval_enabled": False,
    "auto_publish_enabled": False,
    "auto_republish_on_edit": False,
    "daily_publish_limit": 3,
    "weekly_publish_limit": 15,
    "monthly_publish_limit": 50,
    "publish_days": ["mon", "tue", "wed", "thu", "fri"],
    "publish_time_slots": [{"start": "09:00", "end": "17:00"}],
    "timezone": "UTC",
    "missed_schedule_policy": "publish_late",
    "blackout_dates": [],
}
CUSTOM = {
    "auto_approval_enabled": True,
    "auto_publish_enabled": True,
    "auto_republish_on_edit": True,
    "daily_publish_limit": 2,
    "weekly_publish_limit": None,
    "monthly_publish_limit": 40,
    "publish_days": ["mon", "wed", "fri"],
    "publish_time_slots": [{"start": "08:00", "end": "12:00"}, {"start": "14:00", "end": "18:00"}],
    "timezone": "Europe/Paris",
    "missed_schedule_policy": "next_slot",
    "blackout_dates": ["2026-12-25"],
}


def settings_path(site_id: str, tail: str = "") -> str:
    return f"/api/v1/sites/{site_id}/publishing-settings/{tail}"


def test_given_no_settings_stored_then_get_answers_the_contracts_defaults(aws, owner, site):
    reply = call("GET", settings_path(site["id"]), token=owner)

    assert reply.status == 200
    assert reply.json["data"] == {"site_id": site["id"], **DEFAULTS, "updated_at": None}
    assert stored(aws, "SettingsTable") == []


def test_given_a_full_document_when_put_then_get_returns_it_and_the_auto_index_lists_the_site(
    aws, owner, site
):
    reply = call("PUT", settings_path(site["id"]), token=owner, body=CUSTOM)

    assert reply.status == 200, reply.body
    assert reply.json["data"] == {
        "site_id": site["id"],
        **CUSTOM,
        "updated_at": reply.json["data"]["updated_at"],
    }
    assert call("GET", settings_path(site["id"]), token=owner).json["data"] == reply.json["data"]
    [item] = stored(aws, "SettingsTable")
    assert "auto_shard" in item


def test_given_automation_turned_off_then_the_site_leaves_the_sparse_auto_index(aws, owner, site):
    put_settings(owner, site["id"], **CUSTOM)

    put_settings(
        owner, site["id"], **{**CUSTOM, "auto_approval_enabled": False, "auto_publish_enabled": False}
    )

    [item] = stored(aws, "SettingsTable")
    assert "auto_shard" not in item


def test_given_what_get_returned_when_put_back_then_accepted_and_omitted_fields_take_defaults(owner, site):
    read = call("GET", settings_path(site["id"]), token=owner).json["data"]

    sent_back = call("PUT", settings_path(site["id"]), token=owner, body={**read, "daily_publish_limit": 1})
    partial = call("PUT", settings_path(site["id"]), token=owner, body={"timezone": "Asia/Tokyo"})

    assert sent_back.status == 200 and sent_back.json["data"]["daily_publish_limit"] == 1
    assert partial.status == 200
    assert {key: partial.json["data"][key] for key in DEFAULTS} == {**DEFAULTS, "timezone": "Asia/Tokyo"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"daily_publish_limit": -1}, "daily_publish_limit"),
        ({"daily_publish_limit": 5, "weekly_publish_limit": 4}, "weekly_publish_limit"),
        ({"publish_days": []}, "publish_days"),
        ({"publish_days": ["mon", "mon"]}, "publish_days.1"),
        ({"publish_days": ["monday"]}, "publish_days.0"),
        (
            {"publish_time_slots": [{"start": "09:00", "end": "12:00"}, {"start": "24:00", "end": "25:00"}]},
            "publish_time_slots.1.start",
        ),
        (
            {"publish_time_slots": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]},
            "publish_time_slots.1",
        ),
        ({"publish_time_slots": [{"start": "12:00", "end": "09:00"}]}, "publish_time_slots.0.end"),
        ({"missed_schedule_policy": "panic"}, "missed_schedule_policy"),
        ({"blackout_dates": ["2026-02-30"]}, "blackout_dates.0"),
        ({"colour": "blue"}, "colour"),
        ({"site_id": "another-site"}, "site_id"),
    ],
)
def test_given_invalid_settings_then_422_names_the_field_and_nothing_is_written(
    aws, owner, site, body, field
):
    put_settings(owner, site["id"], daily_publish_limit=2)
    before = snapshot(aws)

    reply = call("PUT", settings_path(site["id"]), token=owner, body=body)

    assert reply.status == 422, reply.body
    assert field in reply.json["errors"], reply.json["errors"]
    assert snapshot(aws) == before


def test_given_a_viewer_or_another_account_then_403_or_404_and_nothing_written(aws, owner, site):
    before = snapshot(aws)

    as_viewer = call("PUT", settings_path(site["id"]), token=token("acct-1", "viewer"), body=CUSTOM)
    as_stranger = call("PUT", settings_path(site["id"]), token=token("acct-2", "owner"), body=CUSTOM)
    stranger_reads = call("GET", settings_path(site["id"]), token=token("acct-2", "owner"))
    stranger_preview = call("GET", settings_path(site["id"], "preview/"), token=token("acct-2", "owner"))

    assert (as_viewer.status, as_stranger.status, stranger_reads.status, stranger_preview.status) == (
        403,
        404,
        404,
        404,
    )
    assert snapshot(aws) == before


# --- preview ------------------------------------------------------------------------------


def test_given_settings_in_a_time_zone_then_the_preview_lists_slots_in_utc_and_local_time(owner, site):
    put_settings(owner, site["id"], **CUSTOM)
    settings = PublishingSettings.model_validate(CUSTOM)

    before = datetime.now(UTC)
    reply = call("GET", settings_path(site["id"], "preview/"), token=owner, query={"count": "4"})
    after = datetime.now(UTC)

    assert reply.status == 200
    data = reply.json["data"]
    assert (data["site_id"], data["timezone"]) == (site["id"], "Europe/Paris")
    slots = [slot["scheduled_publish_at"] for slot in data["slots"]]
    assert slots in (
        [iso(slot) for slot in assign_slots(settings, [], moment, 4, jitter=site_jitter(site["id"]))]
        for moment in (before, after)
    )
    for slot in data["slots"]:
        local = datetime.fromisoformat(slot["local_time"])
        assert local.utcoffset() is not None and local == parse_iso(slot["scheduled_publish_at"])
        assert slot["weekday"] in CUSTOM["publish_days"]
        assert "08:00" <= local.strftime("%H:%M") < "18:00"


def test_given_no_count_then_ten_slots_and_taken_slots_are_skipped(owner, site):
    item = create_content(owner, site["id"], status="approved")
    first = call("GET", settings_path(site["id"], "preview"), token=owner).json["data"]["slots"]

    taken = schedule(owner, item["id"], {}).json["data"]["scheduled_publish_at"]
    later = call("GET", settings_path(site["id"], "preview"), token=owner).json["data"]["slots"]

    assert len(first) == len(later) == 10
    assert taken in [slot["scheduled_publish_at"] for slot in first[:2]]  # [1] if a slot passed meanwhile
    assert taken not in [slot["scheduled_publish_at"] for slot in later]


@pytest.mark.parametrize("count", ["0", "51", "ten", "-1"])
def test_given_a_count_out_of_range_then_400_on_count(owner, site, count):
    reply = call("GET", settings_path(site["id"], "preview/"), token=owner, query={"count": count})

    assert reply.status == 400 and "count" in reply.json["errors"]  # API.md v1.1: malformed query


# --- time zone changes --------------------------------------------------------------------


def test_given_scheduled_items_when_the_time_zone_changes_then_the_counters_follow_the_new_local_days(
    aws, owner, site
):
    """23:30 UTC on a Wednesday is Thursday in Tokyo: its count moves to Thursday's counter."""
    item = create_content(owner, site["id"], status="approved")
    late = next_weekday(2).replace(hour=23, minute=30)
    assert schedule(owner, item["id"], {"scheduled_publish_at": iso(late)}).status == 200
    wednesday, thursday = f"{late:%Y-%m-%d}", f"{late.astimezone(ZoneInfo('Asia/Tokyo')):%Y-%m-%d}"
    assert counters(aws)[(site["id"], f"day#{wednesday}")] == 1

    put_settings(owner, site["id"], timezone="Asia/Tokyo")

    counts = counters(aws)
    assert counts[(site["id"], f"day#{wednesday}")] == 0
    assert counts[(site["id"], f"day#{thursday}")] == 1


def test_given_unlimited_caps_then_they_are_not_counted_and_a_cap_set_later_starts_from_the_calendar(
    aws, owner, site
):
    """Only the capped periods are written when scheduling; setting a cap recounts that period."""
    put_settings(owner, site["id"], weekly_publish_limit=None, monthly_publish_limit=None)
    item = create_content(owner, site["id"], status="approved")
    when = next_weekday(2).replace(hour=10)
    assert schedule(owner, item["id"], {"scheduled_publish_at": iso(when)}).status == 200
    assert {period for _, period in counters(aws)} == {f"day#{when:%Y-%m-%d}"}

    put_settings(owner, site["id"], weekly_publish_limit=None, monthly_publish_limit=40)

    counts = counters(aws)
    assert counts[(site["id"], f"month#{when:%Y-%m}")] == 1
    assert not any(period.startswith("week#") for _, period in counts)


# --- calendar feed token ------------------------------------------------------------------


def test_given_an_owner_when_creating_a_feed_token_then_it_is_shown_once_and_only_its_hash_is_stored(
    aws, owner, site
):
    reply = call("POST", f"/api/v1/sites/{site['id']}/calendar-feed-token/", token=owner)

    assert reply.status == 201
    feed_token = reply.json["data"]["token"]
    assert len(feed_token) >= 40 and reply.json["data"]["feed_path"].endswith(f"token={feed_token}")
    [stored_site] = stored(aws, "SitesTable")
    assert stored_site["feed_token_hash"]["S"] == hashlib.sha256(feed_token.encode()).hexdigest()
    assert feed_token not in repr(stored(aws, "SitesTable"))
    assert "token" not in call("GET", f"/api/v1/sites/{site['id']}/", token=owner).body


def test_given_a_viewer_or_a_stranger_then_no_feed_token_and_nothing_written(aws, owner, site):
    before = snapshot(aws)

    as_viewer = call(
        "POST", f"/api/v1/sites/{site['id']}/calendar-feed-token/", token=token("acct-1", "viewer")
    )
    as_stranger = call(
        "POST", f"/api/v1/sites/{site['id']}/calendar-feed-token/", token=token("acct-2", "owner")
    )

    assert (as_viewer.status, as_stranger.status) == (403, 404)
    assert snapshot(aws) == before
