"""Scheduling benchmark: slot assignment throughput (pure function) and DynamoDB calls per scheduled
item, for the 15-minute job and for `POST /content/{id}/schedule/` (on moto, counted by
scripts/aws_calls.py at botocore's `BaseClient._make_api_call`; a transaction is one call).

    .venv/bin/python scripts/bench_scheduling.py [--sites 100 --items 100]

Numbers of calls are exact (they do not depend on the machine); throughput is indicative.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "publisher"), str(ROOT)]

from publisher.domain.publishing_settings import PublishingSettings  # noqa: E402
from publisher.domain.slots import assign_slots  # noqa: E402
from scripts.aws_calls import AwsCalls, intercepting  # noqa: E402

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]


def _site_settings(index: int) -> PublishingSettings:
    """Varied but realistic settings: zones, caps (one in five sites unlimited), 1-2 slots."""
    slots = [{"start": "09:00", "end": "12:00"}, {"start": "14:00", "end": "18:00"}][: 1 + index % 2]
    daily = None if index % 5 == 0 else 1 + index % 4
    return PublishingSettings(
        timezone=ZONES[index % len(ZONES)],
        daily_publish_limit=daily,
        weekly_publish_limit=None if daily is None else daily * 5,
        monthly_publish_limit=None,
        publish_days=["mon", "tue", "wed", "thu", "fri", "sat"][: 3 + index % 4],
        publish_time_slots=slots,
    )


def bench_pure(sites: int, items: int) -> None:
    now = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
    all_settings = [_site_settings(index) for index in range(sites)]
    total = sites * items

    started = time.perf_counter()
    batch = sum(len(assign_slots(settings, [], now, items)) for settings in all_settings)
    batch_seconds = time.perf_counter() - started

    started = time.perf_counter()
    incremental = 0
    for settings in all_settings:
        taken: list[datetime] = []
        for _ in range(items):
            taken += assign_slots(settings, taken, now, 1)
        incremental += len(taken)
    incremental_seconds = time.perf_counter() - started

    print(f"(a) slot assignment, pure function, {total} items across {sites} sites")
    print(
        f"    one call per site (the job):          {batch} items in {batch_seconds:.3f} s"
        f" = {batch / batch_seconds:,.0f} items/s"
    )
    print(
        f"    one call per item, taken growing (API): {incremental} items in {incremental_seconds:.3f} s"
        f" = {incremental / incremental_seconds:,.0f} items/s"
    )


def _report(label: str, calls: Counter[str], items: int) -> None:
    total = sum(calls.values())
    detail = ", ".join(f"{name} {count / items:.2f}" for name, count in sorted(calls.items()))
    print(f"    {label}: {total / items:.2f} calls per scheduled item ({detail})")


def bench_calls(sites: int, items: int) -> None:
    import logging

    from moto.server import ThreadedMotoServer

    from local.aws import provision
    from publisher import bootstrap

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    calls = AwsCalls("dynamodb")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        stack = provision(f"http://{host}:{port}")
        os.environ.update(stack.function_environment("ScheduleApprovedContentFunction"))
        os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "PublisherBench"
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        bootstrap.reset()
        with intercepting(calls):
            _bench_calls(calls, sites, items)
    finally:
        server.stop()


def _bench_calls(calls: AwsCalls, sites: int, items: int) -> None:
    import contextlib
    import io

    from tests.support.apigw import call
    from tests.support.fixtures import token
    from tests.support.handlers import FakeLambdaContext, load_handler_module
    from tests.support.work_queue import run_units, totals

    owner = token("acct-bench", "owner")

    def site_with_content(name: str, auto: bool) -> list[str]:
        site = call("POST", "/api/v1/sites/", token=owner, body={"name": name}).json["data"]
        settings = {
            "auto_publish_enabled": auto,
            "daily_publish_limit": 5,
            "weekly_publish_limit": None,
            "monthly_publish_limit": None,
            "timezone": "Europe/Paris",
        }
        call("PUT", f"/api/v1/sites/{site['id']}/publishing-settings/", token=owner, body=settings)
        hook = {  # content is scheduled only where it can be published (nothing is sent here)
            "config": {"url": "https://hooks.example.com/bench"},
            "credentials": {"signing_secret": "bench-signing-secret-0123"},
        }
        call("PUT", f"/api/v1/sites/{site['id']}/integrations/webhook/", token=owner, body=hook)
        body = {"site_id": site["id"], "title": "Post", "status": "approved"}
        return [
            call("POST", "/api/v1/content/", token=owner, body=body).json["data"]["id"] for _ in range(items)
        ]

    for index in range(sites):
        site_with_content(f"Auto {index}", auto=True)
    calls.clear()
    event = {
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "detail": {},
    }
    handler = load_handler_module("ScheduleApprovedContentFunction").lambda_handler
    with contextlib.redirect_stdout(io.StringIO()):
        handler(event, FakeLambdaContext())
        summary = totals(run_units())  # the job's units: the sites' scheduling
    job_calls = calls.take()

    manual = site_with_content("Manual", auto=False)
    calls.clear()
    statuses = Counter(
        call("POST", f"/api/v1/content/{cid}/schedule/", token=owner, body={}).status for cid in manual
    )
    api_calls = calls.take()

    print(f"(b) DynamoDB calls per scheduled item (moto; {sites} sites x {items} items for the job)")
    _report(
        f"ScheduleApprovedContent job ({summary['scheduled']} scheduled)", job_calls, summary["scheduled"]
    )
    _report(f"POST /content/{{id}}/schedule/ {{}} ({statuses[200]} x 200)", api_calls, statuses[200])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100, help="sites for the pure benchmark")
    parser.add_argument("--items", type=int, default=100, help="items per site for the pure benchmark")
    parser.add_argument("--db-sites", type=int, default=5, help="sites for the DynamoDB call count")
    parser.add_argument("--db-items", type=int, default=20, help="items per site for the DynamoDB call count")
    args = parser.parse_args()
    bench_pure(args.sites, args.items)
    bench_calls(args.db_sites, args.db_items)


if __name__ == "__main__":
    main()
