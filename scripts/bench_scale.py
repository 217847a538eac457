"""The jobs at scale, on moto: does a job's own invocation stay short whatever the number of sites,
and how large is the largest unit of work it fans out to? Plus a burst through the local runner.

For each size (default: 100 sites, then 1,000 sites, each with 50 approved items waiting for a
slot and 5 items due within the hand-over's look-ahead), written straight into the tables:
  15-minute job  ScheduleApprovedContent's invocation (it enqueues units), then its units
  5-minute job   ProcessScheduledPublications' invocation, then its hand-over units
It prints each invocation's wall time (goal < 10 s, the same for 100 and 1,000 sites), the units
run, DynamoDB calls per item (pynamodb's calls, counted by botocore's before-call event), and the
largest single unit (its wall time, its calls). The units run one after the other in this process,
as WorkUnitsFunction runs them (services/work.py `run`); in AWS they run in parallel.

The burst: `scripts/bench_lateness.py --count 500 --spacing 0`: 500 items due in the same second
on 500 sites, handed over by the 5-minute job's units and published by the worker through the
local runner; lateness p50/p95.

    .venv/bin/python -m scripts.bench_scale [--sites 100 1000] [--items 50] [--due 5] [--burst 500]
                                            [--max-units N]

Sizes are flags because 1,000 x 50 takes a long time to write into moto on a small machine.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT), str(ROOT / "layers" / "publisher")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from scripts.bench_scheduling import CallCounter  # noqa: E402

ACCOUNT = "acct-scale"
SETTINGS = {
    "auto_publish_enabled": True,
    "daily_publish_limit": 10,
    "weekly_publish_limit": None,
    "monthly_publish_limit": None,
    "publish_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
}


@dataclass
class UnitRun:
    kind: str
    seconds: float
    calls: int
    result: Any


@dataclass
class JobRun:
    job: str
    sites: int
    invocation_seconds: float
    units: list[UnitRun] = field(default_factory=list)

    def total(self, key: str) -> int:
        return sum(unit.result.get(key, 0) for unit in self.units if isinstance(unit.result, dict))


def seed(first: int, last: int, items: int, due: int, now: datetime) -> None:
    """Sites first..last-1: the site, auto-publishing settings, a webhook integration, `items`
    approved items waiting for a slot and `due` scheduled items due in two minutes."""
    from publisher.domain.publishing_settings import PublishingSettings
    from publisher.ids import new_id
    from publisher.store.models import ContentModel, IntegrationModel, PublishingSettingsModel, SiteModel
    from publisher.timeutil import iso

    stamp = iso(now)
    document = PublishingSettings(**SETTINGS).model_dump(mode="json")
    due_at = iso(now + timedelta(minutes=2))
    models = (SiteModel, PublishingSettingsModel, IntegrationModel, ContentModel)
    with contextlib.ExitStack() as stack:
        writers = {model: stack.enter_context(model.batch_write()) for model in models}
        for number in range(first, last):
            site_id = new_id()
            common = {"account_id": ACCOUNT, "created_at": stamp, "updated_at": stamp}
            writers[SiteModel].save(
                SiteModel(site_id=site_id, name=f"Site {number}", slug=f"s{number}", **common)
            )
            settings = PublishingSettingsModel(
                site_id=site_id, account_id=ACCOUNT, document=document, updated_at=stamp
            )
            settings.refresh_index_keys()
            writers[PublishingSettingsModel].save(settings)
            integration = IntegrationModel(
                site_id=site_id,
                destination="webhook",
                config={"url": "https://hooks.example.com/p"},
                **common,
            )
            writers[IntegrationModel].save(integration)
            for index in range(items + due):
                fields = {"site_status": "not_published"}
                if index >= items:
                    fields = {"site_status": "scheduled", "scheduled_publish_at": due_at}
                content = ContentModel(
                    content_id=new_id(),
                    site_id=site_id,
                    title=f"Post {index}",
                    html="<p>x</p>",
                    slug=f"post-{index}",
                    status="approved",
                    site_status_updated_at=stamp,
                    **common,
                    **fields,
                )
                content.refresh_index_keys()
                writers[ContentModel].save(content)


def drain(counter: CallCounter, max_units: int | None) -> list[UnitRun]:
    """The units on WorkQueue (continuations included), one at a time, as WorkUnitsFunction runs
    them; after `max_units` the rest is purged (a sample: moto's transactions slow as tables grow)."""
    import boto3

    from publisher.services import work

    sqs, url = boto3.client("sqs"), os.environ["WORK_QUEUE_URL"]
    runs: list[UnitRun] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if max_units is not None and len(runs) >= max_units:
            sqs.purge_queue(QueueUrl=url)
            return runs
        if not messages:
            return runs
        for message in messages:
            body = json.loads(message["Body"])
            counter.take()
            started = time.perf_counter()
            result = work.run(body)
            runs.append(
                UnitRun(body["kind"], time.perf_counter() - started, sum(counter.take().values()), result)
            )
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def run_job(
    logical_id: str, sites: int, now: datetime, counter: CallCounter, max_units: int | None
) -> JobRun:
    from tests.support.handlers import FakeLambdaContext, load_handler_module

    load_handler_module("WorkUnitsFunction")  # registers the units
    handler = load_handler_module(logical_id).lambda_handler
    event = {
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    counter.take()
    started = time.perf_counter()
    handler(event, FakeLambdaContext(), clock=lambda: now)
    job = JobRun(logical_id, sites, time.perf_counter() - started)
    counter.take()
    job.units = drain(counter, max_units)
    return job


def report(job: JobRun, items_key: str) -> None:
    items = job.total(items_key)
    calls = sum(unit.calls for unit in job.units)
    largest = max(job.units, key=lambda unit: unit.seconds)
    most = max(job.units, key=lambda unit: unit.calls)
    kinds = Counter(unit.kind for unit in job.units)
    per_item = f"{calls / items:.2f}" if items else "-"
    print(
        f"  {job.job:<38} sites {job.sites:>5}  invocation {job.invocation_seconds:6.3f} s  "
        f"units {len(job.units):>5} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})"
    )
    print(
        f"  {'':<38} {items_key} {items:>6}  DynamoDB calls/item {per_item}  "
        f"largest unit {largest.kind} {largest.seconds:.2f} s / {largest.calls} calls  "
        f"(most calls: {most.kind} {most.calls})  all units {sum(u.seconds for u in job.units):.1f} s"
    )


def bench_jobs(sizes: list[int], items: int, due: int, max_units: int | None) -> None:
    from moto.server import ThreadedMotoServer

    from local.aws import provision
    from local.moto_atomic import atomic_moto_writes
    from publisher import bootstrap

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    counter = CallCounter()
    counter.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        stack = provision(f"http://{host}:{port}")
        os.environ.update(stack.function_environment("WorkUnitsFunction"))
        os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "PublisherBench"
        os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
        bootstrap.reset()
        bootstrap.ready_store()
        print(f"Jobs at scale on moto: {items} waiting + {due} due items per site; sites {sizes}")
        seeded = 0
        with atomic_moto_writes(), contextlib.redirect_stdout(io.StringIO()) as quiet:
            for size in sizes:
                now = datetime.now(UTC).replace(microsecond=0)
                started = time.perf_counter()
                seed(seeded, size, items, due, now)
                seeded = size
                wrote = time.perf_counter() - started
                scheduling = run_job("ScheduleApprovedContentFunction", size, now, counter, max_units)
                handover = run_job("ProcessScheduledPublicationsFunction", size, now, counter, max_units)
                with contextlib.redirect_stdout(sys.__stdout__):
                    print(f"{size} sites (data written in {wrote:.0f} s)")
                    report(scheduling, "scheduled")
                    report(handover, "enqueued")
                quiet.truncate(0)
    finally:
        server.stop()


def bench_burst(count: int) -> None:
    print(f"Burst: {count} items due in the same second through the local runner (scripts/bench_lateness.py)")
    command = [sys.executable, "-m", "scripts.bench_lateness", "--count", str(count), "--spacing", "0"]
    command += ["--lead", "240", "--timeout", "900"]
    subprocess.run(command, cwd=ROOT, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_scale", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--sites", type=int, nargs="+", default=[100, 1000], help="site counts, ascending")
    parser.add_argument("--items", type=int, default=50, help="approved items waiting per site (50)")
    parser.add_argument("--due", type=int, default=5, help="scheduled items due in 2 minutes per site (5)")
    parser.add_argument("--max-units", type=int, help="run at most this many units per job (all)")
    parser.add_argument("--burst", type=int, default=500, help="items of the burst; 0 skips it (500)")
    args = parser.parse_args()
    if sorted(args.sites) != args.sites or args.sites[0] < 1 or args.items < 0 or args.due < 0:
        parser.error("--sites must be positive and ascending; --items and --due not negative")
    bench_jobs(args.sites, args.items, args.due, args.max_units)
    if args.burst:
        bench_burst(args.burst)


if __name__ == "__main__":
    main()
