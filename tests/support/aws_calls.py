"""Record every AWS call a Lambda handler makes: which function was running, the IAM action and
the resource ARN the call needs (for the IAM contract, tests/integration/test_iam_contract.py).

One hook sees every call: botocore's `BaseClient._make_api_call`, the method through which both
boto3 clients and pynamodb's connection (which calls it directly, skipping the client's methods)
send each operation; it also sees the reply, which names the KMS key a Decrypt used. Calls are
attributed to the function in `running_function` — set around a handler by `invoking(...)` and
by the local runner's single entry point, `Functions.invoke` (wrapped, not changed). Calls made
outside any handler (test setup) are not recorded.

`record_calls` records every call a test makes, with scripts/aws_calls.py's recorder (the one the
benchmarks use).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.client import BaseClient

from local.aws import ACCOUNT
from local.functions import Functions
from scripts.aws_calls import AwsCalls, Send, through

running_function: ContextVar[str | None] = ContextVar("running_function", default=None)


@dataclass(frozen=True)
class AwsCall:
    function: str  # logical id of the handler that made the call
    operation: str  # service:Operation as botocore names it
    action: str  # the IAM action it needs
    resource: str  # the ARN it needs it on


@contextmanager
def invoking(logical_id: str) -> Iterator[None]:
    """Attribute the AWS calls made inside to the function `logical_id`."""
    token = running_function.set(logical_id)
    try:
        yield
    finally:
        running_function.reset(token)


# IAM authorises these operations with another operation's action.
ACTION_OF = {
    "s3:HeadObject": "s3:GetObject",
    "s3:HeadBucket": "s3:ListBucket",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:ListObjects": "s3:ListBucket",
    "s3:DeleteObjects": "s3:DeleteObject",
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "dynamodb:TransactGetItems": "dynamodb:GetItem",
}
TRANSACT_WRITE_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def required(
    service: str, operation: str, params: dict[str, Any], reply: dict[str, Any] | None, region: str
) -> list[tuple[str, str]]:
    """The (IAM action, resource ARN) pairs one call needs."""
    action = ACTION_OF.get(f"{service}:{operation}", f"{service}:{operation}")
    prefix = f"arn:aws:{service}:{region}:{ACCOUNT}"
    if service == "dynamodb":
        table = f"{prefix}:table/"
        if operation == "TransactWriteItems":
            return [
                (TRANSACT_WRITE_ACTIONS[kind], table + body["TableName"])
                for item in params["TransactItems"]
                for kind, body in item.items()
            ]
        if operation == "TransactGetItems":
            return [(action, table + item["Get"]["TableName"]) for item in params["TransactItems"]]
        if "RequestItems" in params:  # BatchGetItem, BatchWriteItem
            return [(action, table + name) for name in params["RequestItems"]]
        index = f"/index/{params['IndexName']}" if params.get("IndexName") else ""
        return [(action, table + params["TableName"] + index)]
    if service == "sqs":
        name = (
            params["QueueName"] if "QueueName" in params else params["QueueUrl"].rstrip("/").rsplit("/", 1)[1]
        )
        return [(action, f"{prefix}:{name}")]
    if service == "s3":
        if operation == "DeleteObjects":
            keys = [item["Key"] for item in params["Delete"]["Objects"]]
            return [(action, f"arn:aws:s3:::{params['Bucket']}/{key}") for key in keys]
        if operation == "CopyObject":
            source = params["CopySource"]
            source = source if isinstance(source, str) else f"{source['Bucket']}/{source['Key']}"
            return [
                ("s3:GetObject", f"arn:aws:s3:::{source.lstrip('/')}"),
                (action, f"arn:aws:s3:::{params['Bucket']}/{params['Key']}"),
            ]
        key = f"/{params['Key']}" if "Key" in params else ""
        return [(action, f"arn:aws:s3:::{params['Bucket']}{key}")]
    if service == "kms":
        key_id = params.get("KeyId") or (reply or {}).get("KeyId") or "unknown-key"
        if key_id.startswith("arn:"):
            return [(action, key_id)]
        return [(action, f"{prefix}:{key_id if key_id.startswith('alias/') else 'key/' + key_id}")]
    if service == "secretsmanager":
        secret = params["SecretId"]
        return [(action, secret if secret.startswith("arn:") else f"{prefix}:secret:{secret}")]
    if service == "events" and operation == "PutEvents":
        buses = {entry.get("EventBusName") or "default" for entry in params["Entries"]}
        return [
            (action, bus if bus.startswith("arn:") else f"{prefix}:event-bus/{bus}") for bus in sorted(buses)
        ]
    if service == "sns" and "TopicArn" in params:  # Publish, Subscribe
        return [(action, params["TopicArn"])]
    return [(action, "*")]


def record_calls(monkeypatch: pytest.MonkeyPatch, service: str | None = None) -> AwsCalls:
    """From now until the test ends, record every AWS call sent (with `service`: only its calls)."""
    calls = AwsCalls(service)
    monkeypatch.setattr(BaseClient, "_make_api_call", through(calls))
    return calls


def record_aws_calls(monkeypatch: pytest.MonkeyPatch) -> list[AwsCall]:
    """From now until the test ends, append every call a handler makes to the returned list."""
    calls: list[AwsCall] = []
    invoke = Functions.invoke

    def recording_call(send: Send, client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        function = running_function.get()
        if function is None:
            return send(client, operation, params)
        reply = None
        try:
            reply = send(client, operation, params)
            return reply
        finally:
            service = client.meta.service_model.service_name
            for action, resource in required(service, operation, params, reply, client.meta.region_name):
                calls.append(AwsCall(function, f"{service}:{operation}", action, resource))

    def attributed_invoke(self: Functions, logical_id: str, *args: Any, **kwargs: Any) -> Any:
        with invoking(logical_id):
            return invoke(self, logical_id, *args, **kwargs)

    monkeypatch.setattr(BaseClient, "_make_api_call", through(recording_call))
    monkeypatch.setattr(Functions, "invoke", attributed_invoke)
    return calls
