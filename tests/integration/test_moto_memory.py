"""local.moto_memory on the tests' moto server: items and messages are not kept once gone."""

from __future__ import annotations

from moto.dynamodb.models.dynamo_type import Item
from moto.sqs.models import Message, Queue

TABLE = "moto-memory"


def test_given_writes_updates_and_queries_then_moto_keeps_no_record_of_the_items(aws):
    dynamodb = aws.client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    tracked = len(Item.instances_tracked)

    for number in range(20):
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "n": {"N": str(number)}})
        dynamodb.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "a"}},
            UpdateExpression="SET m = :m",
            ExpressionAttributeValues={":m": {"N": str(number)}},
        )
        query = dynamodb.query(
            TableName=TABLE, KeyConditionExpression="pk = :a", ExpressionAttributeValues={":a": {"S": "a"}}
        )
        assert query["Items"] == [{"pk": {"S": "a"}, "n": {"N": str(number)}, "m": {"N": str(number)}}]

    assert len(Item.instances_tracked) == tracked


def test_given_messages_sent_received_and_deleted_then_moto_keeps_no_record_of_them(aws):
    sqs = aws.client("sqs")
    tracked_queues, tracked_messages = len(Queue.instances_tracked), len(Message.instances_tracked)
    url = sqs.create_queue(QueueName="moto-memory")["QueueUrl"]

    for number in range(10):
        sqs.send_message(QueueUrl=url, MessageBody=str(number))
        (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
        assert message["Body"] == str(number)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    assert len(Message.instances_tracked) == tracked_messages
    assert len(Queue.instances_tracked) == tracked_queues + 1  # resources are still recorded
