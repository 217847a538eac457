"""The migration to one record per (content, destination), on moto: older records of a pair are
folded into the newest, through the function and through scripts/migrate_records.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from publisher.services.record_migration import fold_records_of_content
from publisher.store.models import RecordModel
from tests.integration.publishing_support import create_site, make_content, records_of

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "migrate_records.py"


def plant(content, destination: str, created_at: str, status: str, **fields) -> RecordModel:
    """A record of the pre-v1.1 shape, written straight into the table."""
    record = RecordModel(
        record_id=f"{destination}-{created_at}",
        account_id=content.account_id,
        site_id=content.site_id,
        content_id=content.content_id,
        destination=destination,
        status=status,
        attempts=fields.pop("attempts", 1),
        metadata=fields.pop("metadata", {}),
        created_at=created_at,
        updated_at=created_at,
        **fields,
    )
    record.refresh_index_keys()
    record.save()
    return record


@pytest.fixture
def content(aws):
    site = create_site()
    item = make_content(site, status="published", site_status="published")
    plant(
        item,
        "ghost",
        "2026-01-01T00:00:00Z",
        "published",
        external_id="g-1",
        published_at="2026-01-01T00:00:00Z",
        content_hash="h1",
        metadata={"media": {"https://img/a.png": "https://ghost/a.png"}},
    )
    plant(
        item,
        "ghost",
        "2026-02-01T00:00:00Z",
        "published",
        external_id="g-1",
        published_at="2026-02-01T00:00:00Z",
        attempts=2,
    )
    plant(item, "ghost", "2026-03-01T00:00:00Z", "failed", error="503 from Ghost")
    plant(item, "s3", "2026-01-05T00:00:00Z", "published", external_id="s-1")
    return item


def test_older_records_of_a_pair_are_folded_into_the_newest(content):
    summary = fold_records_of_content(content.content_id)

    assert (summary.kept, summary.folded) == (2, 2)
    by_destination = {record.destination: record for record in records_of(content.content_id)}
    assert len(records_of(content.content_id)) == 2
    ghost = by_destination["ghost"]
    assert ghost.record_id == "ghost-2026-03-01T00:00:00Z"  # the newest is kept
    assert (ghost.status, ghost.external_id, int(ghost.attempts)) == ("failed", "g-1", 4)
    assert [(entry["at"], entry["outcome"]) for entry in ghost.attempt_log] == [
        ("2026-01-01T00:00:00Z", "published"),
        ("2026-02-01T00:00:00Z", "published"),
        ("2026-03-01T00:00:00Z", "failed"),
    ]
    assert ghost.attempt_log[-1]["error"] == "503 from Ghost"
    assert ghost.metadata["media"] == {"https://img/a.png": "https://ghost/a.png"}
    assert by_destination["s3"].record_id == "s3-2026-01-05T00:00:00Z"


def test_running_the_migration_again_changes_nothing(content):
    fold_records_of_content(content.content_id)
    before = {record.record_id: record.attribute_values for record in records_of(content.content_id)}

    summary = fold_records_of_content(content.content_id)

    assert summary.folded == 0
    assert {record.record_id: record.attribute_values for record in records_of(content.content_id)} == before


def test_the_script_migrates_the_content_of_an_account(content):
    spec = importlib.util.spec_from_file_location("migrate_records", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)

    summary = script.main(["--account-id", content.account_id])

    assert (summary.kept, summary.folded) == (2, 2)
    assert sorted(record.destination for record in records_of(content.content_id)) == ["ghost", "s3"]
