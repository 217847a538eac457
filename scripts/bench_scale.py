"""The jobs at scale, on moto: does a job's own invocation stay short whatever the number of sites,
and how large is the largest unit of work it fans out to? Plus a burst through the local runner.

For each size (default: 100 sites, then 1,000 sites; each site with 50 approved items waiting
for a slot, 5 items due within the hand-over's look-ahead and 1 failed publication due for a
retry), written into empty tables of moto through the models (as BatchWriteItem would), it runs the three
scheduled jobs through their handlers, with their EventBridge event:
  15-minute job  ScheduleApprovedContent: one unit per shard of the auto-index, which enqueues a
                 unit per site (schedule-sites -> schedule-site)
  5-minute job   ProcessScheduledPublications: one hand-over unit per shard of the due index (and
                 of the unpublish index), each a page, continuing with a cursor
  daily job      CleanupFailedPublications: one unit per shard of the retry index, paged the same way
and prints, per job: the invocation's wall time (goal < 10 s and the same at every size) and its
AWS calls, the units enqueued, DynamoDB calls per item, the largest unit (seconds, calls, items)
and the unit page sizes. Calls are counted by scripts/aws_calls.py, at botocore's
`BaseClient._make_api_call` (pynamodb and boto3 both go through it); a transaction is one call.

The units run one after the other in this process, each through `work.run` as WorkUnitsFunction
runs it (in AWS they run in parallel). The units that fan a shard out to its sites
(schedule-sites) all run; of each other kind (one site, or one page of a due or retry shard) the
first `--sample` run (default 10) and the rest are taken off the queue unrun: these units are
independent of each other and their cost does not depend on the number of sites (compare the
per-unit figures at 100 and 1,000 sites; tests/integration/test_jobs_at_scale.py proves it for a
site's unit by counting calls), and one after another in one process all of them would take about
an hour at 1,000 sites on a small machine. `--sample 0` runs them all.

The burst: `scripts/bench_lateness.py --count 500 --spacing 0`: 500 items due in the same second
on 500 sites, handed over with DelaySeconds and published by the worker through the local runner
(`python -m local start`); lateness p50/p95 from the scheduled time to the destination's write.

    .venv/bin/python -m scripts.bench_scale [--sites 100 1000] [--items 50] [--due 5] [--failed 1]
                                            [--sample 10] [--jobs Schedule Process Cleanup]
                                            [--burst 500]
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

from scripts.aws_calls import AwsCalls, intercepting

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT), str(ROOT / "layers" / "publisher")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

ACCOUNT = "acct-scale"
SETTINGS = {
    "auto_publish_enabled": True,
    "daily_publish_limit": 10,
    "weekly_publish_limit": None,
    "monthly_publish_limit": None,
    "publish_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
}
JOBS = {
    # logical id: (the unit kinds that run in full, the summary key counting its items)
    "ScheduleApprovedContentFunction": ({"schedule-sites"}, "scheduled"),
    "ProcessScheduledPublicationsFunction": (set(), "enqueued"),
    "CleanupFailedPublicationsFunction": (set(), "retried"),
}


@dataclass
class UnitRun:
    kind: str
    seconds: float
    calls: Counter[str]
    result: Any

    def count(self, key: str) -> int:
        return self.result.get(key, 0) if isinstance(self.result, dict) else 0

    @property
    def dynamodb(self) -> int:
        return sum(n for name, n in self.calls.items() if name.startswith("dynamodb:"))


@dataclass
class JobRun:
    job: str
    sites: int
    invocation_seconds: float
    invocation_calls: Counter[str]
    units: list[UnitRun] = field(default_factory=list)
    not_run: Counter[str] = field(default_factory=Counter)

    def total(self, key: str) -> int:
        return sum(unit.count(key) for unit in self.units)


class MotoTables:
    """Puts models' items straight into the tables of the moto server running in this process
    (what BatchWriteItem would store, without the HTTP round trips: seeding 1,000 sites through
    the API or BatchWriteItem is most of the run on a small machine)."""

    def __init__(self) -> None:
        from moto.dynamodb.models import dynamodb_backends

        from local.aws import ACCOUNT as MOTO_ACCOUNT
        from local.aws import REGION

        self.backend = dynamodb_backends[MOTO_ACCOUNT][REGION]

    def save(self, model: Any) -> None:
        self.backend.put_item(model.Meta.table_name, model.serialize())


def seed(first: int, last: int, items: int, due: int, failed: int, now: datetime) -> list[str]:
    """Sites first..last-1 (their ids): the site, auto-publishing settings, a webhook integration,
    `items` approved items waiting for a slot, `due` scheduled items due in two minutes and
    `failed` items whose publication failed, due for the cleanup's retry. Items are written as the
    API writes them (the body in its own item), with their index keys."""
    from publisher.bootstrap import ready_store
    from publisher.domain.publishing_settings import PublishingSettings
    from publisher.ids import new_id
    from publisher.store.models import (
        BODY_FIELDS,
        ContentBodyModel,
        ContentModel,
        IntegrationModel,
        PublishingSettingsModel,
        RecordModel,
        SiteModel,
    )
    from publisher.timeutil import iso

    ready_store()  # binds the models to the tables
    stamp = iso(now)
    document = PublishingSettings(**SETTINGS).model_dump(mode="json")
    due_at, retry_at = iso(now + timedelta(minutes=2)), iso(now - timedelta(hours=1))
    tables = MotoTables()
    site_ids = []
    for number in range(first, last):
        site_id = new_id()
        site_ids.append(site_id)
        common = {"account_id": ACCOUNT, "created_at": stamp, "updated_at": stamp}
        tables.save(SiteModel(site_id=site_id, name=f"Site {number}", slug=f"s{number}", **common))
        settings = PublishingSettingsModel(
            site_id=site_id, account_id=ACCOUNT, document=document, updated_at=stamp
        )
        settings.refresh_index_keys()
        tables.save(settings)
        integration = IntegrationModel(
            site_id=site_id,
            destination="webhook",
            config={"url": "https://hooks.example.com/p"},
            **common,
        )
        tables.save(integration)
        for index in range(items + due + failed):
            fields: dict[str, Any] = {"site_status": "not_published"}
            if index >= items + due:
                fields = {"site_status": "failed", "last_error": "503"}
            elif index >= items:
                fields = {"site_status": "scheduled", "scheduled_publish_at": due_at}
            content = ContentModel(
                content_id=new_id(),
                site_id=site_id,
                title=f"Post {index}",
                html="<p>x</p>",
                slug=f"post-{index}",
                status="approved",
                site_status_updated_at=stamp,
                no_records=fields["site_status"] != "failed" or None,  # as the API creates it
                **common,
                **fields,
            )
            content.content_hash = content.fields_hash()
            content.refresh_index_keys()
            tables.save(ContentBodyModel(key=ContentBodyModel.key_of(content.content_id), html=content.html))
            for name in BODY_FIELDS:
                setattr(content, name, None)
            tables.save(content)
            if content.site_status == "failed":
                record = RecordModel(
                    record_id=new_id(),
                    site_id=site_id,
                    content_id=content.content_id,
                    destination="webhook",
                    status="failed",
                    error="gave up after 5 attempts: 503",
                    attempts=5,
                    next_retry_at=retry_at,
                    **common,
                )
                record.refresh_index_keys()
                tables.save(record)
    return site_ids


def drain(calls: AwsCalls, run_all: set[str], sample: int) -> tuple[list[UnitRun], Counter[str]]:
    """The units on WorkQueue (continuations included), one at a time, each through `work.run` as
    WorkUnitsFunction runs it. Kinds in `run_all` all run; of each other kind the first `sample`
    run (all when 0) and the rest are deleted unrun (counted in the second value)."""
    import boto3

    from publisher.services import work

    sqs, url = boto3.client("sqs"), os.environ["WORK_QUEUE_URL"]
    runs: list[UnitRun] = []
    ran: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
        "Messages", []
    ):
        for message in messages:
            body = json.loads(message["Body"])
            kind = body["kind"]
            if kind in run_all or not sample or ran[kind] < sample:
                ran[kind] += 1
                calls.clear()
                started = time.perf_counter()
                result = work.run(body)
                runs.append(UnitRun(kind, time.perf_counter() - started, calls.take(), result))
            else:
                skipped[kind] += 1
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return runs, skipped


def run_job(logical_id: str, sites: int, now: datetime, calls: AwsCalls, sample: int) -> JobRun:
    from tests.support.handlers import FakeLambdaContext, load_handler_module

    load_handler_module("WorkUnitsFunction")  # registers the units
    handler = load_handler_module(logical_id).lambda_handler
    event = {
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    calls.clear()
    started = time.perf_counter()
    handler(event, FakeLambdaContext(), clock=lambda: now)
    job = JobRun(logical_id, sites, time.perf_counter() - started, calls.take())
    job.units, job.not_run = drain(calls, JOBS[logical_id][0], sample)
    return job


def _calls(calls: Counter[str]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(calls.items())) or "none"


def report(job: JobRun, first: JobRun | None) -> None:
    items_key = JOBS[job.job][1]
    items = job.total(items_key)
    calls = sum(unit.dynamodb for unit in job.units)
    ratio = ""
    if first:
        ratio = f" ({job.invocation_seconds / first.invocation_seconds:.2f}x {first.sites} sites)"
    print(
        f"  {job.job}: invocation {job.invocation_seconds:.3f} s{ratio}, "
        f"its calls: {_calls(job.invocation_calls)}"
    )
    ran = Counter(unit.kind for unit in job.units)
    kinds = sorted(set(ran) | set(job.not_run))
    print(
        "    units enqueued: "
        + ", ".join(f"{kind} {ran[kind] + job.not_run[kind]} (ran {ran[kind]})" for kind in kinds)
    )
    if not job.units:
        return
    per_item = f"{calls / items:.2f}" if items else "-"
    print(
        f"    {items_key} by the units run: {items}; DynamoDB calls per {items_key} item {per_item}; "
        f"units' time {sum(u.seconds for u in job.units):.1f} s"
    )
    for kind in kinds:
        of_kind = [unit for unit in job.units if unit.kind == kind]
        if not of_kind:
            continue
        slowest = max(of_kind, key=lambda unit: unit.seconds)
        busiest = max(of_kind, key=lambda unit: unit.dynamodb)
        mean = sum(unit.dynamodb for unit in of_kind) / len(of_kind)
        print(
            f"    {kind:<21} largest: {slowest.seconds:.2f} s, {slowest.dynamodb} DynamoDB calls, "
            f"{slowest.count(items_key)} items; most calls {busiest.dynamodb}; mean calls {mean:.1f}"
        )


def page_sizes() -> str:
    from publisher.services import cleanup, process_scheduled, scheduling

    return (
        f"unit page sizes: schedule-sites {scheduling.SITES_PAGE} sites, schedule-site "
        f"{scheduling.ITEMS_PAGE} items, hand-over-due/unpublish-due {process_scheduled.PAGE} items, "
        f"clean-up-retry-shard {cleanup.PAGE} records"
    )


def fresh_tables(endpoint: str) -> None:
    """moto emptied and provisioned again from the template; the functions' environment."""
    import requests

    from local.aws import provision
    from publisher import bootstrap

    requests.post(f"{endpoint}/moto-api/reset", timeout=60).raise_for_status()
    stack = provision(endpoint)
    os.environ.update(stack.function_environment("WorkUnitsFunction"))
    bootstrap.reset()
    bootstrap.ready_store()


def bench_jobs(sizes: list[int], items: int, due: int, failed: int, sample: int, jobs: list[str]) -> None:
    from moto.server import ThreadedMotoServer

    from local.moto_atomic import atomic_moto_writes
    from local.moto_memory import untracked_moto_records

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    calls = AwsCalls()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "PublisherBench"
        os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
        print(
            f"Jobs at scale on moto: per site {items} waiting, {due} due, {failed} failed items; "
            f"sites {sizes}; units per site or page run: "
            + (f"the first {sample} of each kind" if sample else "all")
        )
        print(page_sizes())
        first: dict[str, JobRun] = {}
        quiet = io.StringIO()
        with (
            intercepting(calls),
            atomic_moto_writes(),
            untracked_moto_records(),
            contextlib.redirect_stdout(quiet),
        ):
            for size in sizes:
                fresh_tables(endpoint)  # each size from empty tables: every site's work still to do
                now = datetime.now(UTC).replace(microsecond=0)
                started = time.perf_counter()
                seed(0, size, items, due, failed, now)
                wrote = time.perf_counter() - started
                with contextlib.redirect_stdout(sys.__stdout__):
                    print(f"{size} sites: written in {wrote:.0f} s")
                for logical_id in jobs:
                    job = run_job(logical_id, size, now, calls, sample)
                    with contextlib.redirect_stdout(sys.__stdout__):
                        report(job, first.get(logical_id))
                    first.setdefault(logical_id, job)
                    quiet.truncate(0)
    finally:
        server.stop()


def bench_burst(count: int) -> None:
    print(f"Burst: {count} items due in the same second through the local runner (scripts/bench_lateness.py)")
    command = [sys.executable, "-m", "scripts.bench_lateness", "--count", str(count), "--spacing", "0"]
    # A 300 s lead: 500 schedule requests take minutes on a busy machine, and it is within the
    # hand-over's look-ahead, so scheduling puts each item on PublishQueue with its DelaySeconds.
    # The jobs at their real period (--clock-speed 1): at 60x the 5-minute job's units would run
    # every 5 s in the runner's process, beside the worker, which AWS does not do.
    command += ["--lead", "300", "--timeout", "900", "--clock-speed", "1"]
    subprocess.run(command, cwd=ROOT, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_scale", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--sites", type=int, nargs="+", default=[100, 1000], help="site counts, ascending")
    parser.add_argument("--items", type=int, default=50, help="approved items waiting per site (50)")
    parser.add_argument("--due", type=int, default=5, help="scheduled items due in 2 minutes per site (5)")
    parser.add_argument("--failed", type=int, default=1, help="failed items due for a retry per site (1)")
    parser.add_argument(
        "--sample", type=int, default=10, help="units run of each per-site or per-page kind; 0: all (10)"
    )
    parser.add_argument(
        "--jobs", nargs="+", choices=["Schedule", "Process", "Cleanup"], help="only these jobs (all three)"
    )
    parser.add_argument("--burst", type=int, default=500, help="items of the burst; 0 skips it (500)")
    args = parser.parse_args()
    if sorted(args.sites) != args.sites or args.sites[0] < 1 or min(args.items, args.due, args.failed) < 0:
        parser.error("--sites must be positive and ascending; --items, --due and --failed not negative")
    if args.sample < 0:
        parser.error("--sample must not be negative")
    jobs = [job for job in JOBS if not args.jobs or any(job.startswith(name) for name in args.jobs)]
    bench_jobs(args.sites, args.items, args.due, args.failed, args.sample, jobs)
    if args.burst:
        bench_burst(args.burst)


if __name__ == "__main__":
    main()
