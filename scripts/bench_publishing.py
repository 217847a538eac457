"""AWS calls per published item, on moto: what publishing one (content, destination) costs in
DynamoDB and SQS calls (and, for reference, S3, KMS and EventBridge), per phase.

Counted by scripts/aws_calls.py, at botocore's `BaseClient._make_api_call` (pynamodb's calls and
boto3's alike; a transaction is one call). The floor for the worker is three
DynamoDB writes: the claim, the record, the content.

Usage: python scripts/bench_publishing.py [items]   (default 20; one S3 integration per site)
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "publisher")]

from moto.server import ThreadedMotoServer  # noqa: E402

from local.aws import provision  # noqa: E402
from local.events import scheduled_event, sqs_event  # noqa: E402
from scripts.aws_calls import AwsCalls, intercepting  # noqa: E402

CALLS = AwsCalls()
POLLER = {"sqs:ReceiveMessage", "sqs:DeleteMessage"}  # Lambda's SQS poller's calls, not the function's


def counted() -> Counter[tuple[str, str]]:
    """The functions' calls recorded since the last `CALLS.clear()`, by (service, operation)."""
    return Counter(tuple(name.split(":", 1)) for name in CALLS.operations if name not in POLLER)


class Context:
    function_name = "bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    memory_limit_in_mb = 512
    aws_request_id = "bench"
    log_group_name = "bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def handler(directory: str) -> Any:
    spec = importlib.util.spec_from_file_location(
        f"bench_{directory}", ROOT / "functions" / directory / "app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


def phase(name: str, items: int, run: Any, table: list[tuple[str, Counter]]) -> Any:
    CALLS.clear()
    result = run()
    table.append((name, Counter({key: value / items for key, value in counted().items()})))
    return result


def print_table(table: list[tuple[str, Counter]]) -> None:
    for name, calls in table:
        by_service: dict[str, float] = {}
        for (service, _), value in calls.items():
            by_service[service] = by_service.get(service, 0) + value
        print(f"\n{name}")
        print(
            "  per item: "
            + ", ".join(f"{service} {value:.2f}" for service, value in sorted(by_service.items()))
        )
        for (service, operation), value in sorted(calls.items()):
            if service in ("dynamodb", "sqs"):
                print(f"    {service:9} {operation:22} {value:.2f}")


def main() -> None:
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    logging.disable(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    stack = provision(f"http://{host}:{port}")
    os.environ.update(stack.function_environment("PublishWorkerFunction"))
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ["POWERTOOLS_LOGGER_LOG_EVENT"] = "false"

    from publisher.bootstrap import ready_store
    from publisher.domain.integrations import IntegrationPut
    from publisher.domain.publishing import PublishRequest
    from publisher.domain.sites import SiteCreate
    from publisher.identity import Caller
    from publisher.ids import new_id
    from publisher.services import publishing, sites
    from publisher.store.models import ContentModel
    from publisher.timeutil import iso

    ready_store()
    caller = Caller(user_id="bench", account_id="acct-bench", role="owner")
    stack.client("s3").create_bucket(Bucket="publisher-site-bench")
    site = sites.create_site(caller, SiteCreate(name="Bench", url="https://bench.example.com"))
    sites.put_integration(
        caller,
        site["id"],
        "s3",
        IntegrationPut(
            config={"bucket": "publisher-site-bench", "public_base_url": "https://bench.example.com"}
        ),
    )
    now = datetime.now(UTC).replace(microsecond=0)

    def content(**fields: Any) -> ContentModel:
        item = ContentModel(
            content_id=new_id(),
            account_id="acct-bench",
            site_id=site["id"],
            title="Bench item",
            html="<p>Bench.</p>",
            slug=f"bench-{new_id().lower()}",
            status="approved",
            site_status_updated_at=iso(now),
            created_at=iso(now),
            updated_at=iso(now),
            **fields,
        )
        item.refresh_index_keys()
        item.save()
        return item

    worker, work_units = handler("publish_worker"), handler("work_units")
    sqs = stack.client("sqs")

    def drain(queue_name: str = "PublishQueue", function: Any = worker) -> int:
        """Every message of the queue (and those its handling adds), in batches of 10, through
        `function` as Lambda's poller would hand them over; the number handled."""
        queue = stack.queue_urls[queue_name]
        arn = f"arn:aws:sqs:us-east-1:123456789012:{queue.rsplit('/', 1)[1]}"
        handled = 0
        while messages := sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", []):
            function(sqs_event(messages, arn), Context())
            handled += len(messages)
            for message in messages:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return handled

    table: list[tuple[str, Counter]] = []
    now_items = [content() for _ in range(items)]
    phase(
        "publish now: POST /publisher/publish/ (service call)",
        items,
        lambda: [
            publishing.publish_now(caller, PublishRequest(content_id=item.content_id, override_limits=True))
            for item in now_items
        ],
        table,
    )
    CALLS.clear()
    drained = drain()
    worker_calls = Counter({key: value / drained for key, value in counted().items() if key[0] != "sqs"})
    table.append(
        (
            f"worker, publish-now messages ({drained} items, batches of 10; SQS receive/delete is Lambda's)",
            worker_calls,
        )
    )

    due = now - timedelta(seconds=5)
    for _ in range(items):
        content(site_status="scheduled", scheduled_publish_at=iso(due))
    job = handler("process_scheduled_publications")
    phase(
        "ProcessScheduledPublications (the job and its hand-over units on WorkQueue)",
        items,
        lambda: (
            job(scheduled_event("arn:aws:events:us-east-1:123456789012:rule/bench", now), Context()),
            drain("WorkQueue", work_units),
        ),
        table,
    )
    CALLS.clear()
    drained = drain()
    table.append(
        (
            f"worker, scheduled messages ({drained} items)",
            Counter({key: value / drained for key, value in counted().items() if key[0] != "sqs"}),
        )
    )
    print_table(table)
    server.stop()


if __name__ == "__main__":
    with intercepting(CALLS):
        main()
