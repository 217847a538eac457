"""The publishing pipeline's pure rules: retry timing, hand-over delays, which record is current,
when content counts as published or failed, and the request bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from publisher.domain.publishing import (
    BACKOFF_CAP_SECONDS,
    CLAIM_LEASE,
    MAX_DELAY_SECONDS,
    PublishMessage,
    PublishRequest,
    RecordCreate,
    cleanup_retry_at,
    handover_delay,
    lateness_seconds,
    latest_by_destination,
    retry_delay,
    settled_outcome,
)

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)


@dataclass
class Rec:
    destination: str
    status: str
    created_at: str
    external_id: str | None = None
    record_id: str = "01"


@pytest.mark.parametrize(
    ("receive_count", "seconds"), [(1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 900), (12, 900)]
)
def test_backoff_doubles_from_30_seconds_and_stops_at_15_minutes(receive_count, seconds):
    assert retry_delay(receive_count) == seconds


@pytest.mark.parametrize(("retry_after", "seconds"), [(5, 5), (0.2, 1), (3600, 3600), (10**6, 43_200)])
def test_a_peer_retry_after_wins_over_the_backoff_up_to_the_sqs_maximum(retry_after, seconds):
    assert retry_delay(1, retry_after) == seconds


@given(st.integers(min_value=1, max_value=100))
def test_backoff_never_shrinks_and_never_exceeds_the_cap(receive_count):
    assert retry_delay(receive_count) <= retry_delay(receive_count + 1) <= BACKOFF_CAP_SECONDS


@pytest.mark.parametrize(
    ("due", "delay"),
    [(NOW + timedelta(seconds=90), 90), (NOW - timedelta(minutes=3), 0), (NOW + timedelta(hours=1), 900)],
)
def test_handover_delay_is_the_time_until_due_within_what_sqs_allows(due, delay):
    assert handover_delay(due, NOW) == delay


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_handover_delay_always_fits_delay_seconds(offset):
    assert 0 <= handover_delay(NOW + timedelta(seconds=offset), NOW) <= MAX_DELAY_SECONDS


def test_cleanup_backoff_doubles_per_retry_from_six_hours():
    assert [cleanup_retry_at(NOW, done) - NOW for done in range(3)] == [
        timedelta(hours=6),
        timedelta(hours=12),
        timedelta(hours=24),
    ]


def test_lateness_is_start_minus_schedule_and_none_without_a_schedule():
    assert lateness_seconds(NOW, NOW + timedelta(seconds=2.5)) == 2.5
    assert lateness_seconds(NOW, NOW - timedelta(seconds=1)) == -1.0
    assert lateness_seconds(None, NOW) is None


def test_the_claim_lease_outlasts_the_worker_and_expires_before_a_redelivery():
    worker_timeout, visibility_timeout = timedelta(seconds=60), timedelta(seconds=360)
    assert worker_timeout < CLAIM_LEASE < visibility_timeout


def test_the_newest_record_of_each_destination_is_the_current_one():
    old = Rec("s3", "published", "2026-01-01T00:00:00Z")
    new = Rec("s3", "failed", "2026-02-01T00:00:00Z")
    hook = Rec("webhook", "pending", "2026-01-15T00:00:00Z")

    assert latest_by_destination([new, hook, old]) == {"s3": new, "webhook": hook}


def test_records_made_in_the_same_second_are_ordered_by_their_ulid():
    first = Rec("s3", "published", "2026-01-01T00:00:00Z", record_id="01M7YSAAEVFFYRKMMKGFYS5ERW")
    second = Rec("s3", "pending", "2026-01-01T00:00:00Z", record_id="01M7YSAAEWAAAAAAAAAAAAAAAA")

    assert latest_by_destination([second, first]) == {"s3": second}
    assert latest_by_destination([first, second]) == {"s3": second}


@pytest.mark.parametrize(
    ("statuses", "outcome"),
    [
        (["published", "published"], "published"),
        (["published", "retracted"], "published"),
        (["published", "failed"], "failed"),
        (["published", "pending"], None),
        (["failed", "publishing"], None),
        (["retracted"], None),
        ([], None),
    ],
)
def test_content_settles_only_when_no_current_record_is_in_flight(statuses, outcome):
    assert settled_outcome(statuses) == outcome


@pytest.mark.parametrize(
    ("statuses", "retried", "outcome"),
    [
        (["published", "failed"], 1, "retrying"),  # the one failure comes back from the queue
        (["failed", "failed"], 2, "retrying"),
        (["failed", "failed"], 1, "failed"),  # one of the two failed for good
        (["failed", "publishing"], 1, None),  # still in flight
        (["published", "published"], 0, "published"),
    ],
)
def test_content_is_retrying_while_every_failure_is_one_the_queue_brings_back(statuses, retried, outcome):
    assert settled_outcome(statuses, retried=retried) == outcome


def test_request_bodies_refuse_unknown_fields_and_empty_destination_lists():
    with pytest.raises(ValidationError):
        PublishRequest.model_validate({"content_id": "c", "destinations": []})
    with pytest.raises(ValidationError):
        PublishRequest.model_validate({"content_id": "c", "surprise": True})
    with pytest.raises(ValidationError):
        RecordCreate.model_validate({"content_id": "c", "destination": "s3", "status": "failed"})
    assert PublishRequest.model_validate({"content_id": " c "}).content_id == "c"


def test_a_message_body_round_trips_and_ignores_fields_it_does_not_know():
    body = {
        "record_id": "r",
        "content_id": "c",
        "site_id": "s",
        "account_id": "a",
        "destination": "s3",
        "scheduled_for": None,
        "deployment_id": None,
        "enqueued_at": "2026-11-21T14:00:00Z",
        "actor": "user-1",
        "extra": 1,
    }

    message = PublishMessage.model_validate(body)

    assert message.model_dump() == {key: value for key, value in body.items() if key != "extra"}


def test_handover_delay_rounds_up_so_no_message_is_visible_before_its_time():
    assert handover_delay(NOW + timedelta(seconds=89.3), NOW) == 90
    assert handover_delay(NOW + timedelta(seconds=90), NOW) == 90
