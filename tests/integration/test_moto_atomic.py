"""local.moto_atomic on the tests' moto server: a transaction is all or nothing, and its rollback
copies the items it names, not the tables they are in."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import dynamodb_backends

import local.moto_atomic
from local.aws import ACCOUNT, REGION
from tests.support.fixtures import stored

HASH_TABLE = "moto-atomic-hash"
RANGE_TABLE = "moto-atomic-range"


@pytest.fixture
def dynamodb(aws):
    for name in (HASH_TABLE, RANGE_TABLE):
        aws.resolver.physical[name] = name  # so that `stored` reads them
    client = aws.client("dynamodb")
    client.create_table(
        TableName=HASH_TABLE,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.create_table(
        TableName=RANGE_TABLE,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


@pytest.fixture
def copies(monkeypatch) -> list:
    """Every item copy_item is asked to copy (the server runs in this process, on threads)."""
    seen: list = []
    original = local.moto_atomic.copy_item

    def counting(item):
        seen.append(item)
        return original(item)

    monkeypatch.setattr(local.moto_atomic, "copy_item", counting)
    return seen


def everything(aws) -> dict[str, list]:
    """Both tables' items, in key order."""
    key = lambda item: (item["pk"]["S"], item.get("sk", {}).get("S", ""))  # noqa: E731
    return {table: sorted(stored(aws, table), key=key) for table in (HASH_TABLE, RANGE_TABLE)}


def put(name: str, pk: str, sk: str | None = None, **attributes: str) -> dict:
    item = {
        "pk": {"S": pk},
        **({"sk": {"S": sk}} if sk else {}),
        **{k: {"S": v} for k, v in attributes.items()},
    }
    return {"Put": {"TableName": name, "Item": item}}


def update(name: str, key: dict, value: str) -> dict:
    return {
        "Update": {
            "TableName": name,
            "Key": {field: {"S": part} for field, part in key.items()},
            "UpdateExpression": "SET v = :v",
            "ExpressionAttributeValues": {":v": {"S": value}},
        }
    }


def must_be_new(operation: dict) -> dict:
    operation["Put"]["ConditionExpression"] = "attribute_not_exists(pk)"
    return operation


def cancel(client, items: list[dict]) -> list[str]:
    with pytest.raises(ClientError) as cancelled:
        client.transact_write_items(TransactItems=items)
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    return [reason["Code"] for reason in cancelled.value.response["CancellationReasons"]]


def test_given_the_second_items_condition_fails_then_both_items_stay_exactly_as_before(aws, dynamodb):
    dynamodb.put_item(TableName=HASH_TABLE, Item={"pk": {"S": "a"}, "v": {"S": "1"}, "n": {"N": "7"}})
    dynamodb.put_item(TableName=RANGE_TABLE, Item={"pk": {"S": "b"}, "sk": {"S": "1"}, "v": {"S": "1"}})
    before = everything(aws)

    reasons = cancel(
        dynamodb,
        [
            update(HASH_TABLE, {"pk": "a"}, "changed"),
            must_be_new(put(RANGE_TABLE, "b", "1", v="replaced")),
        ],
    )

    assert reasons == ["None", "ConditionalCheckFailed"]
    assert everything(aws) == before


def test_given_a_failed_transaction_then_items_it_created_are_gone_again(aws, dynamodb):
    dynamodb.put_item(TableName=HASH_TABLE, Item={"pk": {"S": "taken"}})
    before = everything(aws)

    cancel(
        dynamodb,
        [
            put(HASH_TABLE, "new", v="1"),
            put(RANGE_TABLE, "fresh-hash", "1", v="1"),
            must_be_new(put(HASH_TABLE, "taken")),
        ],
    )

    assert everything(aws) == before
    backend = dynamodb_backends[ACCOUNT][REGION]
    assert dict(backend.tables[RANGE_TABLE].items) == {}  # no empty partition left behind


def test_given_every_condition_holds_then_both_items_are_written(aws, dynamodb):
    dynamodb.put_item(TableName=HASH_TABLE, Item={"pk": {"S": "a"}, "v": {"S": "1"}})

    dynamodb.transact_write_items(
        TransactItems=[update(HASH_TABLE, {"pk": "a"}, "2"), must_be_new(put(RANGE_TABLE, "b", "1", v="new"))]
    )

    after = everything(aws)
    assert after[HASH_TABLE] == [{"pk": {"S": "a"}, "v": {"S": "2"}}]
    assert after[RANGE_TABLE] == [{"pk": {"S": "b"}, "sk": {"S": "1"}, "v": {"S": "new"}}]


def test_given_a_table_of_1000_items_then_a_transaction_of_2_copies_2_items_not_the_table(
    aws, dynamodb, copies
):
    for batch in range(40):
        requests = [{"PutRequest": {"Item": {"pk": {"S": f"item-{batch * 25 + i}"}}}} for i in range(25)]
        dynamodb.batch_write_item(RequestItems={HASH_TABLE: requests})
    backend = dynamodb_backends[ACCOUNT][REGION]
    table = backend.tables[HASH_TABLE]
    assert len(table) == 1000

    cancel(dynamodb, [update(HASH_TABLE, {"pk": "item-1"}, "x"), must_be_new(put(HASH_TABLE, "item-2"))])
    dynamodb.transact_write_items(
        TransactItems=[update(HASH_TABLE, {"pk": "item-1"}, "y"), put(HASH_TABLE, "z")]
    )

    assert len(copies) == 4  # two items per transaction, each copied once
    assert backend.tables[HASH_TABLE] is table  # moto's rollback did not swap in a copy of the table
    assert len(table) == 1001
    assert dynamodb.get_item(TableName=HASH_TABLE, Key={"pk": {"S": "item-1"}})["Item"]["v"] == {"S": "y"}


def test_given_an_invalid_transaction_then_the_items_written_before_the_error_are_put_back(aws, dynamodb):
    dynamodb.put_item(TableName=HASH_TABLE, Item={"pk": {"S": "a"}, "v": {"S": "1"}})
    before = everything(aws)

    with pytest.raises(ClientError) as refused:  # the same item twice: moto refuses it after the first write
        dynamodb.transact_write_items(
            TransactItems=[
                update(HASH_TABLE, {"pk": "a"}, "2"),
                put(RANGE_TABLE, "b", "1"),
                put(HASH_TABLE, "a"),
            ]
        )

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert everything(aws) == before
