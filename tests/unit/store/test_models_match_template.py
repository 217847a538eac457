"""The pynamodb models and template.yaml's tables describe the same keys and indexes."""

from __future__ import annotations

import pytest

from local.template import load_template, resources_of_type
from publisher.store.models import TABLES

TEMPLATE = load_template()
TABLE_RESOURCES = resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")


def _keys(key_schema: list[dict]) -> dict[str, str]:
    return {key["KeyType"]: key["AttributeName"] for key in key_schema}


def _model_shape(model) -> dict:
    schema = model._get_schema()
    return {
        "attributes": {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]},
        "keys": _keys(schema["key_schema"]),
        "indexes": {
            index["index_name"]: (
                _keys(index["key_schema"]),
                index["projection"]["ProjectionType"],
                sorted(index["projection"].get("NonKeyAttributes", [])),
            )
            for index in schema.get("global_secondary_indexes") or []
        },
    }


def _template_shape(props: dict) -> dict:
    return {
        "attributes": {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]},
        "keys": _keys(props["KeySchema"]),
        "indexes": {
            index["IndexName"]: (
                _keys(index["KeySchema"]),
                index["Projection"]["ProjectionType"],
                sorted(index["Projection"].get("NonKeyAttributes", [])),
            )
            for index in props.get("GlobalSecondaryIndexes") or []
        },
    }


def test_every_template_table_has_a_model_and_every_model_a_table():
    assert set(TABLE_RESOURCES) == set(TABLES)


@pytest.mark.parametrize("logical_id", sorted(TABLES))
def test_model_keys_and_indexes_match_the_template(logical_id):
    model, _ = TABLES[logical_id]

    assert _model_shape(model) == _template_shape(TABLE_RESOURCES[logical_id]["Properties"])


@pytest.mark.parametrize("logical_id", sorted(TABLES))
def test_tables_are_on_demand_encrypted_and_recoverable(logical_id):
    props = TABLE_RESOURCES[logical_id]["Properties"]

    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_ttl_attribute_of_the_template_is_a_ttl_attribute_of_the_model():
    from pynamodb.attributes import TTLAttribute

    for logical_id, (model, _) in TABLES.items():
        ttl = TABLE_RESOURCES[logical_id]["Properties"].get("TimeToLiveSpecification")
        if ttl:
            assert isinstance(model.get_attributes()[ttl["AttributeName"]], TTLAttribute), logical_id


def test_sparse_due_index_appears_only_while_scheduled_and_not_enqueued():
    from publisher.store.models import ContentModel

    item = ContentModel(
        content_id="c1",
        account_id="a",
        site_id="s",
        title="t",
        slug="t",
        status="approved",
        site_status="scheduled",
        site_status_updated_at="x",
        scheduled_publish_at="2026-11-21T10:00:00Z",
        created_at="c",
        updated_at="u",
    )
    item.refresh_index_keys()
    assert item.due_at == "2026-11-21T10:00:00Z"
    assert item.due_shard is not None and 0 <= int(item.due_shard) < 8

    item.enqueued_for = item.scheduled_publish_at
    item.refresh_index_keys()
    assert (item.due_shard, item.due_at) == (None, None)

    item.site_status, item.scheduled_publish_at, item.enqueued_for = "not_published", None, None
    item.refresh_index_keys()
    assert (item.due_shard, item.calendar_at) == (None, None)
