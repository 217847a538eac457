"""A test-only SQS handler for the local runner's poller: each message's body says how many
deliveries fail (`fail_until`: reported in batchItemFailures; `raise_until`: the handler raises,
failing the whole batch), and every delivery is recorded for the test to read.

For invocations in worker processes, whose memory the test cannot read: `record_to` names a file
each delivery appends a line to (key, process id, whether its wait ended by a release), `release`
a file the delivery creates, `wait_for` one it waits for (at most WAIT_SECONDS)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

DELIVERIES: list[tuple[str, int, str]] = []  # (key, ApproximateReceiveCount, invocation id)
WAIT_SECONDS = 30


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures, raise_now = [], False
    for record in event["Records"]:
        body = json.loads(record["body"])
        count = int(record["attributes"]["ApproximateReceiveCount"])
        DELIVERIES.append((body["key"], count, context.aws_request_id))
        _coordinate(body)
        raise_now = raise_now or count <= body.get("raise_until", 0)
        if count <= body.get("fail_until", 0):
            failures.append({"itemIdentifier": record["messageId"]})
    if raise_now:
        raise RuntimeError("the batch failed on purpose")
    return {"batchItemFailures": failures}


def _coordinate(body: dict[str, Any]) -> None:
    if body.get("release"):
        Path(body["release"]).touch()
    released = None
    if body.get("wait_for"):
        deadline = time.monotonic() + WAIT_SECONDS
        while not (released := Path(body["wait_for"]).exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
    if body.get("record_to"):
        line = json.dumps({"key": body["key"], "pid": os.getpid(), "released": released})
        with open(body["record_to"], "a") as file:
            file.write(line + "\n")
