"""The billing arithmetic of scripts/bench_cost.py against DynamoDB's documented rules."""

from __future__ import annotations

import zlib

from scripts.bench_cost import (
    Index,
    Table,
    article_html,
    index_write_units,
    index_writes,
    item_size,
    item_write_units,
    read_units,
    tables_of,
    write_units,
)

CONTENT = Table(
    "content",
    ("content_id",),
    {
        "all": Index("all", ("site_id", "due_at"), "ALL"),
        "keys": Index("keys", ("site_id", "status_key"), "KEYS_ONLY"),
        "some": Index("some", ("site_id", "calendar_at"), "INCLUDE", frozenset({"title"})),
    },
)


def s(text: str) -> dict:
    return {"S": text}


def test_item_size_counts_names_and_values_as_dynamodb_does():
    assert item_size({"ab": s("xyz")}) == 5
    assert item_size({"n": {"N": "12345"}}) == 1 + 3 + 1  # 5 significant digits: 3 bytes + 1
    assert item_size({"n": {"N": "1000"}}) == 1 + 1 + 1  # trailing zeros trimmed
    assert item_size({"ok": {"BOOL": True}, "no": {"NULL": True}}) == 3 + 3
    assert item_size({"l": {"L": [s("ab"), s("c")]}}) == 1 + 3 + (1 + 2) + (1 + 1)
    assert item_size({"m": {"M": {"k": s("vv")}}}) == 1 + 3 + (1 + 1 + 2)
    assert item_size({"t": s("é")}) == 1 + 2  # UTF-8 bytes
    assert item_size(None) == 0


def test_units_round_up_with_a_minimum_of_one():
    assert [write_units(size) for size in (0, 1, 1024, 1025)] == [1, 1, 1, 2]
    assert read_units(4096, consistent=True) == 1
    assert read_units(4097, consistent=True) == 2
    assert read_units(4097, consistent=False) == 1
    assert read_units(0, consistent=False) == 0.5


def body(size: int) -> dict:
    return {"html": s("x" * size)}


def test_an_update_bills_the_larger_image_doubled_in_a_transaction():
    before = {"content_id": s("c1"), **body(3000)}
    after = {"content_id": s("c1"), **body(100)}
    assert item_write_units(CONTENT, before, after, transactional=False) == 3
    assert item_write_units(CONTENT, before, after, transactional=True) == 6


def test_index_writes_follow_projection_and_key_changes():
    base = {"content_id": s("c1"), "site_id": s("s1"), "title": s("T"), **body(5000)}
    # entering the ALL index copies the body (5 KB); the others are not keyed yet
    entered = {**base, "due_at": s("2025-01-01")}
    assert index_write_units(CONTENT, base, entered) == 5
    # a changed key of an ALL index: delete the old entry and put the new one
    moved = {**entered, "due_at": s("2025-01-02")}
    assert index_write_units(CONTENT, entered, moved) == 10
    # a change of a non-projected attribute writes nothing to KEYS_ONLY / INCLUDE indexes
    keyed = {**base, "status_key": s("approved"), "calendar_at": s("2025")}
    edited = {**keyed, **body(6000)}
    assert index_write_units(CONTENT, keyed, edited) == 0
    # an included attribute changes: one write of the small projected entry
    retitled = {**keyed, "title": s("New")}
    assert index_write_units(CONTENT, keyed, retitled) == 1
    # leaving a sparse index: one delete
    assert index_write_units(CONTENT, entered, base) == 5


def test_tables_come_from_the_template_with_their_projections():
    from local.aws import local_parameters
    from local.template import Resolver, load_template

    template = load_template()
    resolver = Resolver(local_parameters(template), conditions=template.get("Conditions", {}))
    tables = tables_of(template, resolver.resolve)
    content = next(table for name, table in tables.items() if name.endswith("-content"))
    assert content.keys == ("content_id",)
    assert set(content.indexes) >= {"calendar-index", "due-index", "site-site-status-index"}
    assert content.indexes["due-index"].keys == ("due_shard", "due_at")


def test_index_writes_name_each_index_written_and_add_up_to_the_units():
    before = {"content_id": s("c1"), "site_id": s("s1"), "status_key": s("draft#1"), "title": s("T")}
    after = {**before, "status_key": s("approved#1"), "calendar_at": s("2026-12-01")}

    writes = index_writes(CONTENT, before, after)

    assert writes == {"keys": 2, "some": 1}  # a moved key: delete + put; an item entering: put
    assert sum(writes.values()) == index_write_units(CONTENT, before, after)


def test_the_articles_html_is_its_size_and_compresses_like_prose_not_like_a_repeated_sentence():
    for size in (512, 8 * 1024):
        html = article_html(size).encode()
        ratio = len(html) / len(zlib.compress(html))
        assert len(html) == size
        assert 1.5 < ratio < 4, ratio  # a repeated sentence: about 80
