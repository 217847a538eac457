"""A test-only SQS handler for the local runner's poller: each message's body says how many
deliveries fail (`fail_until`: reported in batchItemFailures; `raise_until`: the handler raises,
failing the whole batch), and every delivery is recorded for the test to read."""

from __future__ import annotations

import json
from typing import Any

DELIVERIES: list[tuple[str, int, str]] = []  # (key, ApproximateReceiveCount, invocation id)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures, raise_now = [], False
    for record in event["Records"]:
        body = json.loads(record["body"])
        count = int(record["attributes"]["ApproximateReceiveCount"])
        DELIVERIES.append((body["key"], count, context.aws_request_id))
        raise_now = raise_now or count <= body.get("raise_until", 0)
        if count <= body.get("fail_until", 0):
            failures.append({"itemIdentifier": record["messageId"]})
    if raise_now:
        raise RuntimeError("the batch failed on purpose")
    return {"batchItemFailures": failures}
