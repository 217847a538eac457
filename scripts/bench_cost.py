"""What one publication costs in AWS, on moto: DynamoDB billed units and $ per million publications.

The typical flow, once per article size (0.5 KB and 8 KB of html), on a freshly provisioned moto:
  create    POST /api/v1/content/ (approved) through the local runner's in-process gateway
  schedule  the 15-minute job (ScheduleApprovedContent) gives it the site's next slot
  hand-over the 5-minute job (ProcessScheduledPublications) at its slot hands it to the queue
  publish   the worker, from a real SQS batch (the local runner's poller), to a loopback webhook
  list      GET /api/v1/publisher/records/?site_id=… once

Every AWS call is recorded at botocore's `BaseClient._make_api_call` (scripts/aws_calls.py, as the
tests record them). DynamoDB calls are billed the way DynamoDB bills them, from the
items' sizes as DynamoDB computes them (attribute names + values) and the tables' key schemas and
index projections read from template.yaml:
  write  WRU = ceil(size / 1 KB), size = the larger of the item before and after (a delete: before),
         doubled in TransactWriteItems (ConditionCheck included), plus one write per GSI whose projected
         item changes (ceil(projected size / 1 KB); a changed index key: delete + put = two writes)
  read   GetItem/BatchGetItem: ceil(size / 4 KB) (min 1) per item, halved when eventually consistent;
         TransactGetItems doubled; Query: ceil(sum of the evaluated items' sizes / 4 KB) (min 1), halved when
         eventually consistent (a GSI query: the projected items' sizes)
DescribeTable (control plane) is free and only counted. Lambda duration is modelled: the handler's
own CPU time (its thread, without the bench's own reads; the median of RUNS runs of the flow after one
warm-up run, each on fresh tables) + a fixed latency per AWS call and per destination request (printed
with the prices); the jobs' invocation requests are a fixed cost per run, not per publication. The
article is real prose (article_html), as the store compresses bodies. KMS: one Decrypt per publication
(why: printed with the prices).

Under each step: every billed item write — its units, operation, table, key, billed bytes, the item's
own units (x2 in a transaction) and each index written (a changed index key: delete + put).

Usage: python scripts/bench_cost.py          (make bench-cost)
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT), str(ROOT / "layers" / "publisher")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from publisher.domain.text import MAX_TITLE_WORDS, title_words  # noqa: E402
from scripts.aws_calls import Send, intercepting  # noqa: E402

KB = 1024

# us-east-1 list prices (checked 2025: DynamoDB on-demand after the Nov 2024 cut).
PRICES = {
    "dynamodb_wru": 0.625 / 1e6,  # $ per write request unit (on-demand)
    "dynamodb_rru": 0.125 / 1e6,  # $ per read request unit (on-demand)
    "lambda_gb_s": 0.0000133334,  # $ per GB-second, arm64
    "lambda_request": 0.20 / 1e6,  # $ per invocation
    "sqs_request": 0.40 / 1e6,  # $ per request (standard queue, per 64 KB chunk)
    "apigw_request": 3.50 / 1e6,  # $ per REST API request (first 333 M)
    "events_entry": 1.00 / 1e6,  # $ per custom event put on a bus (per 64 KB chunk)
    "kms_request": 0.03 / 1e4,  # $ per KMS API request
}
# Modelled latencies for Lambda's billed duration (ms): moto in process says nothing about AWS's.
LATENCY_MS = {"dynamodb": 6.0, "sqs": 15.0, "kms": 10.0, "events": 20.0, "secretsmanager": 15.0, "s3": 25.0}
DESTINATION_MS = 150.0  # one request to the destination (the webhook)
TITLE = "Growing tomatoes"
"""The article's title: each of its search words is an item written at create (printed with the figures)."""
RUNS = 3
"""Measured runs of the flow per article size (after one warm-up run); Lambda time is their median."""
FIXED_PER_RUN = {
    "ScheduleApprovedContentFunction",
    "ProcessScheduledPublicationsFunction",
    "WorkUnitsFunction",
}
"""Invocations paid per run of a job, whatever it publishes: the jobs and the units they fan out
to (a unit per shard, batched ten to an invocation); their DynamoDB work and time are counted."""


# --- DynamoDB's arithmetic ----------------------------------------------------------------------


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value as DynamoDB counts them (typed JSON, as botocore sends it)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return number_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(member.encode()) for member in inner)
    if kind == "NS":
        return sum(number_size(member) for member in inner)
    if kind == "BS":
        return sum(len(member) for member in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(element) for name, element in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def number_size(text: str) -> int:
    """1 byte per two significant digits (leading and trailing zeros trimmed) + 1."""
    digits = re.sub(r"[^0-9]", "", text.split("e")[0].split("E")[0]).strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def item_size(item: Mapping[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / KB))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / (4 * KB)))
    return units if consistent else units / 2


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    include: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Table:
    name: str
    keys: tuple[str, ...]
    indexes: dict[str, Index] = field(default_factory=dict)

    def key_of(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self.keys}

    def projected(self, index: Index, item: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The item as the index stores it; None if the item is not in the (sparse) index."""
        if not item or any(key not in item for key in index.keys):
            return None
        if index.projection == "ALL":
            return dict(item)
        kept = set(self.keys) | set(index.keys) | (index.include if index.projection == "INCLUDE" else set())
        return {name: value for name, value in item.items() if name in kept}


def tables_of(template: Mapping[str, Any], resolve: Any) -> dict[str, Table]:
    """Physical table name → key schema and GSI projections, from the template."""
    tables = {}
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        props = resolve(resource["Properties"])
        indexes = {}
        for gsi in props.get("GlobalSecondaryIndexes", []):
            projection = gsi["Projection"]
            indexes[gsi["IndexName"]] = Index(
                gsi["IndexName"],
                tuple(key["AttributeName"] for key in gsi["KeySchema"]),
                projection["ProjectionType"],
                frozenset(projection.get("NonKeyAttributes", [])),
            )
        keys = tuple(key["AttributeName"] for key in props["KeySchema"])
        tables[props["TableName"]] = Table(props["TableName"], keys, indexes)
    return tables


def index_writes(table: Table, before: Mapping | None, after: Mapping | None) -> dict[str, int]:
    """Write units per GSI of the table when an item goes from `before` to `after` (changed ones)."""
    units = {}
    for index in table.indexes.values():
        old, new = table.projected(index, before), table.projected(index, after)
        if old == new:
            continue
        if old is None or new is None:
            units[index.name] = write_units(item_size(old or new))
        elif any(old[key] != new[key] for key in index.keys):
            units[index.name] = write_units(item_size(old)) + write_units(item_size(new))  # delete + put
        else:
            units[index.name] = write_units(item_size(new))
    return units


def index_write_units(table: Table, before: Mapping | None, after: Mapping | None) -> int:
    """Writes to the table's GSIs when an item goes from `before` to `after`."""
    return sum(index_writes(table, before, after).values())


def item_write_units(table: Table, before: Mapping | None, after: Mapping | None, transactional: bool) -> int:
    base = write_units(max(item_size(before), item_size(after))) * (2 if transactional else 1)
    return base + index_write_units(table, before, after)


@dataclass(frozen=True)
class Write:
    """One billed item write: where each of its units goes."""

    operation: str
    table: str
    key: str
    size: int  # bytes billed: the larger of the item before and after
    base: int  # units of the item itself (x2 in a transaction)
    transactional: bool
    indexes: dict[str, int]  # GSI name -> units (a changed key: delete + put)
    failed: bool = False

    @property
    def units(self) -> int:
        return self.base + sum(self.indexes.values())

    def __str__(self) -> str:
        table = self.table.rsplit("-", 1)[-1]
        base = f"{self.base // 2} x2 (transaction)" if self.transactional else f"{self.base}"
        indexes = ", ".join(f"{name} {units}" for name, units in sorted(self.indexes.items()))
        failed = " (condition failed)" if self.failed else ""
        return (
            f"{self.units:3d} WRU  {self.operation:18} {table:8} {self.size:6d} B  item {base}"
            f"{'; indexes: ' + indexes if indexes else ''}{failed}  [{self.key}]"
        )


# --- recording ----------------------------------------------------------------------------------


@dataclass
class Step:
    name: str
    wru: float = 0
    rru: float = 0
    calls: Counter = field(default_factory=Counter)  # "service:Operation" → count
    lambda_ms: Counter = field(default_factory=Counter)  # function → modelled ms
    invocations: Counter = field(default_factory=Counter)
    apigw: int = 0
    kms: int = 0
    sqs: int = 0
    events: int = 0
    destination: int = 0
    units: Counter = field(default_factory=Counter)  # "table WRU|RRU" → units
    writes: list[Write] = field(default_factory=list)  # every billed item write


_step: ContextVar[Step | None] = ContextVar("bench_step", default=None)
_function: ContextVar[str | None] = ContextVar("bench_function", default=None)
_probing: ContextVar[bool] = ContextVar("bench_probing", default=False)


class Recorder:
    """A hook on botocore's one call path (`intercepting(recorder)`); bills DynamoDB calls from the
    items before and after."""

    def __init__(self, tables: dict[str, Table], probe_client: Any) -> None:
        self.tables = tables
        self.probe = probe_client

    def __call__(self, send: Send, client: Any, operation: str, params: dict[str, Any]) -> Any:
        step = _step.get()
        if step is None or _probing.get():
            return send(client, operation, params)
        return self.record(step, send, client, operation, params)

    # a raw read that is neither recorded nor billed
    def _raw(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        token = _probing.set(True)
        started = time.thread_time()
        try:
            return self.probe._make_api_call(operation, params)
        finally:
            _probing.reset(token)
            current, function = _step.get(), _function.get()
            if current is not None and function:  # the bench's own reads are not the function's time
                current.lambda_ms[function] -= (time.thread_time() - started) * 1000

    def _get(self, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        return self._raw("GetItem", {"TableName": table, "Key": dict(key), "ConsistentRead": True}).get(
            "Item"
        )

    def record(self, step: Step, send: Send, client: Any, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        step.calls[f"{service}:{operation}"] += 1
        function = _function.get()
        if function:
            step.lambda_ms[function] += LATENCY_MS.get(service, 10.0)
        if service == "kms":
            step.kms += 1
        elif service == "sqs" and params.get("QueueUrl") != os.environ.get("WORK_QUEUE_URL"):
            step.sqs += (
                1  # WorkQueue's unit messages are the jobs' fixed cost per run, like their invocations
            )
        elif service == "events" and operation == "PutEvents":
            step.events += len(params["Entries"])
        if service != "dynamodb":
            return send(client, operation, params)
        writes = self._writes(operation, params)
        befores = [self._get(table, key) for table, key, _ in writes]
        error: Exception | None = None
        try:
            reply = send(client, operation, params)
        except Exception as exc:  # a failed condition is billed too
            reply, error = None, exc
        for (table, key, transactional), before in zip(writes, befores, strict=True):
            after = self._get(table, key) if error is None else before
            size = max(item_size(before), item_size(after))
            write = Write(
                operation,
                table,
                "/".join(next(iter(value.values())) for value in key.values()),
                size,
                write_units(size) * (2 if transactional else 1),
                transactional,
                index_writes(self.tables[table], before, after) if error is None else {},
                failed=error is not None,
            )
            step.wru += write.units
            step.units[f"{table} WRU"] += write.units
            step.writes.append(write)
        for table, units in self._reads(operation, params, reply):
            step.rru += units
            step.units[f"{table} RRU"] += units
        if error is not None:
            raise error
        return reply

    def _writes(self, operation: str, params: dict[str, Any]) -> list[tuple[str, dict, bool]]:
        """(table, key, transactional) of every item the call writes."""

        def key(table: str, body: Mapping[str, Any]) -> dict:
            return self.tables[table].key_of(body["Item"]) if "Item" in body else dict(body["Key"])

        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            return [(params["TableName"], key(params["TableName"], params), False)]
        if operation == "TransactWriteItems":
            return [
                (body["TableName"], key(body["TableName"], body), True)
                for entry in params["TransactItems"]
                for body in entry.values()
            ]
        if operation == "BatchWriteItem":
            return [
                (table, key(table, request.get("PutRequest") or request["DeleteRequest"]), False)
                for table, requests in params["RequestItems"].items()
                for request in requests
            ]
        return []

    def _reads(self, operation: str, params: dict[str, Any], reply: Any) -> Iterator[tuple[str, float]]:
        if operation == "GetItem":
            item = self._get(params["TableName"], params["Key"])
            yield params["TableName"], read_units(item_size(item), bool(params.get("ConsistentRead")))
        elif operation == "BatchGetItem":
            for table, request in params["RequestItems"].items():
                for key in request["Keys"]:
                    size = item_size(self._get(table, key))
                    yield table, read_units(size, bool(request.get("ConsistentRead")))
        elif operation == "TransactGetItems":
            for entry in params["TransactItems"]:
                get = entry["Get"]
                yield (
                    get["TableName"],
                    2 * read_units(item_size(self._get(get["TableName"], get["Key"])), True),
                )
        elif operation == "Query":
            yield params["TableName"], self._query_units(params)
        elif operation == "Scan":
            raise AssertionError("a Scan: the project does not scan")

    def _query_units(self, params: dict[str, Any]) -> float:
        """The same page again without filter/projection/count: the items DynamoDB evaluates."""
        probe = {
            name: params[name]
            for name in ("TableName", "IndexName", "KeyConditionExpression", "Limit", "ExclusiveStartKey")
            if name in params
        }
        probe["ScanIndexForward"] = params.get("ScanIndexForward", True)
        condition = params["KeyConditionExpression"]
        names = {k: v for k, v in params.get("ExpressionAttributeNames", {}).items() if k in condition}
        values = {k: v for k, v in params.get("ExpressionAttributeValues", {}).items() if k in condition}
        if names:
            probe["ExpressionAttributeNames"] = names
        if values:
            probe["ExpressionAttributeValues"] = values
        items = self._raw("Query", probe).get("Items", [])
        table = self.tables[params["TableName"]]
        index = table.indexes.get(params.get("IndexName", ""))
        sizes = [item_size(table.projected(index, item) if index else item) for item in items]
        consistent = bool(params.get("ConsistentRead")) and index is None
        return read_units(sum(sizes), consistent)


@contextmanager
def step(name: str, steps: list[Step]) -> Iterator[Step]:
    current = Step(name)
    token = _step.set(current)
    try:
        yield current
    finally:
        _step.reset(token)
        steps.append(current)


@contextmanager
def running(function: str) -> Iterator[None]:
    """Attribute calls (and the thread's CPU time) to a Lambda function's invocation."""
    current = _step.get()
    token = _function.set(function)
    started = time.thread_time()
    try:
        yield
    finally:
        _function.reset(token)
        if current is not None:
            current.invocations[function] += 1
            current.lambda_ms[function] += (time.thread_time() - started) * 1000


# --- the flow -----------------------------------------------------------------------------------


def run_flow(stack: Any, html_bytes: int, peer: Any) -> list[Step]:
    from datetime import timedelta

    from local.aws import ACCOUNT, REGION
    from local.events import scheduled_event
    from local.functions import Functions
    from local.queues import QueuePoller, SqsSource
    from publisher.store.models import ContentModel
    from publisher.timeutil import parse_iso, utcnow
    from tests.support.apigw import call, gateway
    from tests.support.fixtures import token

    functions = gateway().functions
    invoke = Functions.invoke

    def attributed(self: Functions, logical_id: str, *args: Any, **kwargs: Any) -> Any:
        with running(logical_id):
            return invoke(self, logical_id, *args, **kwargs)

    Functions.invoke = attributed  # type: ignore[method-assign]
    owner = token("acct-cost", "owner", sub=f"cost-{html_bytes}")

    def ok(reply: Any, status: int = 200) -> Any:
        if reply.status != status:
            raise RuntimeError(f"{reply.status}: {reply.body}")
        return reply.json["data"]

    site = ok(
        call("POST", "/api/v1/sites/", token=owner, body={"name": "Cost", "url": "https://cost.example.com"}),
        201,
    )
    hook = {"config": {"url": f"{peer.url}/hook", "allow_insecure_http": True}}
    ok(
        call(
            "PUT",
            f"/api/v1/sites/{site['id']}/integrations/webhook/",
            token=owner,
            body={**hook, "credentials": {"signing_secret": "s" * 24}},
        )
    )
    ok(
        call(
            "PUT",
            f"/api/v1/sites/{site['id']}/publishing-settings/",
            token=owner,
            body={"auto_publish_enabled": True},
        )
    )

    html = article_html(html_bytes)
    body = {"site_id": site["id"], "title": TITLE, "html": html, "status": "approved"}
    steps: list[Step] = []
    units = QueuePoller(
        SqsSource(
            function="WorkUnitsFunction",
            event="WorkQueueMessages",
            queue_arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:{stack.queue_urls['WorkQueue'].rsplit('/', 1)[1]}",
            report_batch_item_failures=True,
        ),
        stack.client("sqs"),
        functions.invoke,
        wait_seconds=0,
    )

    def run_units() -> None:
        """WorkQueue's units (and their continuations) until none is visible, in batches of 10 as
        Lambda's poller delivers them: each batch is one WorkUnitsFunction invocation."""
        while units.poll_once():
            pass

    with step("create (POST /content/)", steps) as current:
        current.apigw += 1
        content = ok(call("POST", "/api/v1/content/", token=owner, body=body), 201)
    with step("schedule (15-minute job)", steps):
        now = utcnow()
        event = scheduled_event(f"arn:aws:events:{REGION}:{ACCOUNT}:rule/schedule", now)
        functions.invoke("ScheduleApprovedContentFunction", event, "schedule")
        run_units()  # the job only enqueues; WorkUnitsFunction schedules the site
    scheduled = ContentModel.get(content["id"], consistent_read=True).scheduled_publish_at
    assert scheduled, content
    at = parse_iso(scheduled) + timedelta(seconds=30)
    handover = functions.module("ProcessScheduledPublicationsFunction").lambda_handler
    with step("hand-over (5-minute job)", steps):
        with running("ProcessScheduledPublicationsFunction"):
            event = scheduled_event(f"arn:aws:events:{REGION}:{ACCOUNT}:rule/process", at)
            handover(event, _context("ProcessScheduledPublicationsFunction"), clock=lambda: at)
        run_units()  # one unit per due shard (and per unpublish shard) hands the item over
    assert ContentModel.get(content["id"], consistent_read=True).enqueued_for == scheduled
    source = SqsSource(
        function="PublishWorkerFunction",
        event="PublishQueueMessages",
        queue_arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:{stack.queue_urls['PublishQueue'].rsplit('/', 1)[1]}",
        report_batch_item_failures=True,
    )
    poller = QueuePoller(source, stack.client("sqs"), functions.invoke, wait_seconds=0)
    with step("publish (worker, SQS batch)", steps) as current:
        handled = poller.poll_once()  # Receive/Delete are the event source mapping's, not the function's
        assert handled == 1, handled
        current.destination = len(peer.received)
        current.lambda_ms["PublishWorkerFunction"] += DESTINATION_MS * current.destination
    assert len(peer.received) == 1, peer.received
    with step("list records (GET /records/)", steps) as current:
        current.apigw += 1
        records = ok(call("GET", "/api/v1/publisher/records/", token=owner, query={"site_id": site["id"]}))
        assert [record["status"] for record in records] == ["published"], records
    Functions.invoke = invoke  # type: ignore[method-assign]
    return steps


def article_html(size: int) -> str:
    """`size` bytes of html made of real prose (the paragraphs of Python's own reference text, in a
    fixed order), not one sentence repeated: the store compresses bodies, and a repeated sentence
    would compress 80-fold where real articles compress about 3-fold."""
    from html import escape
    from pydoc_data.topics import topics

    paragraphs = (
        f"<p>{escape(' '.join(paragraph.split()))}</p>"
        for name in sorted(topics)
        for paragraph in topics[name].split("\n\n")
        if paragraph.strip()
    )
    html = ""
    while len(html.encode()) < size:
        html += next(paragraphs)
    return html.encode()[: size - 4].decode(errors="ignore") + "</p>"


def median_time(runs: list[list[Step]]) -> list[Step]:
    """The last run's steps with each function's measured time the median over the runs (CPU time
    is noisy; units and calls are the same in every run, which this checks)."""
    from statistics import median

    steps = runs[-1]
    for index, current in enumerate(steps):
        same = {(run[index].wru, run[index].rru, tuple(sorted(run[index].calls.items()))) for run in runs}
        if len(same) != 1:
            raise AssertionError(f"{current.name}: units or calls differ between runs: {same}")
        for function in current.lambda_ms:
            current.lambda_ms[function] = median(run[index].lambda_ms[function] for run in runs)
    return steps


def _context(name: str) -> Any:
    from local.functions import LocalContext

    return LocalContext(name, 512, 300)


# --- money --------------------------------------------------------------------------------------


def memory_of(template: Mapping[str, Any], resolve: Any) -> dict[str, int]:
    defaults = template.get("Globals", {}).get("Function", {})
    return {
        logical: int(resolve({**defaults, **resource["Properties"]}.get("MemorySize", 128)))
        for logical, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def dollars(steps: list[Step], memory: Mapping[str, int]) -> dict[str, float]:
    cost: dict[str, float] = defaultdict(float)
    for current in steps:
        cost["DynamoDB"] += current.wru * PRICES["dynamodb_wru"] + current.rru * PRICES["dynamodb_rru"]
        for function, ms in current.lambda_ms.items():
            cost["Lambda"] += memory[function] / 1024 * math.ceil(ms) / 1000 * PRICES["lambda_gb_s"]
        for function, count in current.invocations.items():
            if function not in FIXED_PER_RUN:
                cost["Lambda"] += count * PRICES["lambda_request"]
        cost["SQS"] += current.sqs * PRICES["sqs_request"]
        cost["API Gateway"] += current.apigw * PRICES["apigw_request"]
        cost["EventBridge"] += current.events * PRICES["events_entry"]
        cost["KMS"] += current.kms * PRICES["kms_request"]
    return {service: value * 1e6 for service, value in cost.items()}  # $ per million publications


def report(size: int, steps: list[Step], memory: Mapping[str, int]) -> dict[str, Any]:
    print(f"\n== article of {size} bytes of html: per publication ==")
    print(f"  {'step':32} {'WRU':>7} {'RRU':>7}  calls")
    for current in steps:
        calls = ", ".join(f"{name} {count}" for name, count in sorted(current.calls.items()))
        print(f"  {current.name:32} {current.wru:7.1f} {current.rru:7.1f}  {calls}")
        for write in current.writes:
            print(f"      {write}")
    wru, rru = sum(s.wru for s in steps), sum(s.rru for s in steps)
    print(f"  {'total':32} {wru:7.1f} {rru:7.1f}")
    by_table: Counter = Counter()
    for current in steps:
        by_table.update(current.units)
    print("  by table: " + ", ".join(f"{name} {units:g}" for name, units in sorted(by_table.items())))
    cost = dollars(steps, memory)
    print("  $ per million publications: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(cost.items())))
    total = sum(cost.values())
    print(f"  total ${total:.2f} per million publications")
    return {"bytes": size, "wru": wru, "rru": rru, "dollars": cost, "total": total}


def print_prices() -> None:
    print("us-east-1 list prices used:")
    for name, value in PRICES.items():
        print(f"  {name:16} ${value * 1e6:.4f} per million")
    print(
        "modelled Lambda time: the handler's own CPU + per AWS call "
        + ", ".join(f"{service} {ms:g} ms" for service, ms in LATENCY_MS.items())
        + f", per destination request {DESTINATION_MS:g} ms; job and unit invocations and"
        + " WorkQueue's requests are a fixed cost per run;"
        + f" the CPU is each function's median over {RUNS} runs of the flow (fresh tables each) after one"
        + " warm-up run (what a first request loads lazily is cold start, not a publication), without the"
        + " bench's own reads"
    )
    print(
        "KMS: one Decrypt per publication. The worker keeps opened credentials per warm container for"
        " 5 minutes, keyed by the site's integration; one site publishes at most once a minute (default"
        " slots hours apart), so a publication of the typical flow rarely finds its site's credentials"
        " open. Only a burst for one site (a deployment) shares a Decrypt: ~1 per container per 5 minutes."
    )
    more = 8 - len(title_words(TITLE))
    print(
        f"title: {TITLE!r}, {8 - more} search words. Each distinct word of a title (at most"
        f" {MAX_TITLE_WORDS}) is one search item written at create, 1 WRU: a title of 8 words adds"
        f" {more} WRU (${more * PRICES['dynamodb_wru'] * 1e6:.2f} per million) to the figures above."
    )


def main() -> None:
    import logging
    import os

    import requests
    from moto.server import ThreadedMotoServer

    logging.disable(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"

    from local.aws import provision
    from local.moto_atomic import atomic_moto_writes
    from publisher import bootstrap
    from tests.support.apigw import gateway
    from tests.support.loopback import Reply, loopback_server

    results = []
    with atomic_moto_writes(), loopback_server() as peer:
        peer.route("POST", "/hook", Reply(200, {"Content-Type": "application/json"}, b'{"id": "remote-1"}'))
        for size in (512, 8 * KB):
            runs = []
            for _ in range(1 + RUNS):  # the first: warm-up (what the first request loads lazily)
                requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
                stack = provision(endpoint)
                os.environ.update(stack.function_environment("SitesApiFunction"))
                os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
                bootstrap.reset()
                gateway().functions.load_all()  # cold starts (imports) are not part of a publication
                peer.received.clear()
                tables = tables_of(stack.template, stack.resolver.resolve)
                with intercepting(Recorder(tables, stack.client("dynamodb"))):
                    runs.append(run_flow(stack, size, peer))
            steps = median_time(runs[1:])
            memory = memory_of(stack.template, stack.resolver.resolve)
            results.append(report(size, steps, memory))
    print()
    print_prices()
    print("\nsummary: " + json.dumps([{k: v for k, v in r.items() if k != "dollars"} for r in results]))
    server.stop()


if __name__ == "__main__":
    main()
