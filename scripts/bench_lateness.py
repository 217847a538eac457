"""End-to-end lateness through the local runner: items scheduled a few seconds apart at explicit
times, handed over by ProcessScheduledPublications (rate(5 minutes), DelaySeconds = due - now) and
published to an S3 static site by the worker on the runner's SQS poller. Prints p50/p95/max of
(publish start - scheduled time) and how many were published (a benchmark, not a test).

    .venv/bin/python -m scripts.bench_lateness [--count 50] [--spacing 2] [--lead 90]
                                               [--clock-speed 60] [--timeout 360] [--log FILE]

It starts `python -m local start --clock-speed <speed>` on free loopback ports. The clock speed
only changes how often the schedules fire (rate(5 minutes) every 300/speed real seconds): the
functions read the real clock, so the scheduled times, DelaySeconds and the lateness are real
wall-clock seconds. What a speed above 1 hides: an item whose lead time (scheduled time - the
moment it was scheduled) is shorter than the job's period waits for the next run, up to 5 minutes
in AWS but only 300/speed s here. `--clock-speed 1` runs the job at its real period; the runner's
first run is then 5 minutes after it started.

A site holds one item per UTC minute, so the items are spread round-robin over just enough sites
(each with an `s3` integration to a bucket of its own, publisher-site-bench-<n>) that no site gets two in a
minute. Publishing settings permit any time (every day, 00:00-23:59 UTC, no caps).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from tests.support.local_runner import LocalRunner, local_token, running_local

BUCKET = "publisher-site-bench"
"""Each site's bucket is BUCKET-<n>: a bucket belongs to the one site that configured it first."""
ONE_ITEM_PER = 60  # seconds: a site's items must lie in different UTC minutes
JOB = "ProcessScheduledPublicationsFunction"
POLL_EVERY = 2.0  # seconds between reads of the records, per 50 items (each read lists them all)
SETTINGS = {
    "auto_approval_enabled": False,
    "auto_publish_enabled": False,
    "daily_publish_limit": None,
    "weekly_publish_limit": None,
    "monthly_publish_limit": None,
    "publish_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "publish_time_slots": [{"start": "00:00", "end": "23:59"}],
    "timezone": "UTC",
    "missed_schedule_policy": "publish_late",
    "blackout_dates": [],
}


@dataclass(frozen=True)
class Options:
    count: int
    spacing: int
    lead: int
    clock_speed: float
    timeout: float
    log: Path | None = None
    workers: int = 4

    @property
    def sites(self) -> int:
        return min(self.count, math.ceil(ONE_ITEM_PER / self.spacing)) if self.spacing else self.count


class Api:
    """The runner's API with one token; any unexpected status stops the benchmark with its reason."""

    def __init__(self, runner: LocalRunner, token: str) -> None:
        self.runner = runner
        self.token = token

    def call(self, method: str, path: str, expected: int = 200, body: Any = None) -> Any:
        reply = self.runner.call(method, "/api/v1" + path, self.token, json=body)
        if reply.status_code != expected:
            raise SystemExit(f"{method} {path} answered {reply.status_code}: {reply.text[:500]}")
        return reply.json()


def in_parallel[T](work: Callable[[int], T], count: int, workers: int) -> list[T]:
    """work(0) .. work(count - 1) on `workers` threads (the runner serves API requests in that many
    worker processes), their results in order; the first failure stops the benchmark."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(work, range(count)))


def make_sites(api: Api, runner: LocalRunner, count: int, workers: int) -> list[str]:
    s3 = boto3.client(
        "s3",
        endpoint_url=runner.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's fixed local credentials, nothing secret
    )

    def make_site(number: int) -> str:
        bucket = f"{BUCKET}-{number}"
        s3.create_bucket(Bucket=bucket)
        site = api.call("POST", "/sites/", 201, {"name": f"Bench {number}", "slug": f"bench-{number}"})
        site_id = site["data"]["id"]
        config = {"bucket": bucket, "prefix": "posts/", "public_base_url": f"{runner.moto_url}/{bucket}"}
        api.call("PUT", f"/sites/{site_id}/integrations/s3/", 200, {"enabled": True, "config": config})
        api.call("PUT", f"/sites/{site_id}/publishing-settings/", 200, SETTINGS)
        return site_id

    return in_parallel(make_site, count, workers)


def make_approved_content(api: Api, site_ids: list[str], count: int, workers: int) -> list[str]:
    """`count` approved items, round-robin over the sites."""

    def make_item(number: int) -> str:
        body = {
            "site_id": site_ids[number % len(site_ids)],
            "title": f"Lateness {number}",
            "html": f"<p>Item {number} of the lateness benchmark.</p>",
        }
        content_id = api.call("POST", "/content/", 201, body)["data"]["id"]
        api.call("PATCH", f"/content/{content_id}/", 200, {"status": "approved"})
        return content_id

    return in_parallel(make_item, count, workers)


def schedule(api: Api, content_ids: list[str], options: Options) -> dict[str, datetime]:
    """Each item at an explicit whole second, `spacing` s apart, the first `lead` s from now."""
    first = math.ceil(time.time()) + options.lead

    def schedule_item(number: int) -> datetime:
        when = datetime.fromtimestamp(first + number * options.spacing, UTC)
        body = {"scheduled_publish_at": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
        api.call("POST", f"/content/{content_ids[number]}/schedule/", 200, body)
        return when

    times = in_parallel(schedule_item, len(content_ids), options.workers)
    if time.time() > first:
        raise SystemExit(
            f"scheduling took longer than the lead ({options.lead} s): the first items were due before "
            "the last were scheduled; run again with a longer --lead"
        )
    return dict(zip(content_ids, times, strict=True))


def all_records(api: Api) -> Iterator[dict[str, Any]]:
    """Every record of the benchmark's (fresh) account."""
    cursor = None
    while True:
        page = api.call("GET", "/publisher/records/?limit=200" + (f"&cursor={cursor}" if cursor else ""))
        yield from page["data"]
        if not (cursor := page.get("next_cursor")):
            return


def wait_for_publications(api: Api, wanted: set[str], timeout: float) -> dict[str, dict[str, Any]]:
    """content id → its published record, for as many as were published within `timeout` s."""
    deadline = time.monotonic() + timeout
    published: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        records = [record for record in all_records(api) if record["content_id"] in wanted]
        published = {record["content_id"]: record for record in records if record["status"] == "published"}
        if len(published) == len(wanted):
            break
        time.sleep(POLL_EVERY * max(len(wanted) / 50, 1))  # the lateness is in the records, not the poll
    return published


def nearest_rank(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(percent / 100 * len(ordered)) - 1, 0)]


def summary(label: str, values: list[float]) -> str:
    if not values:
        return f"{label}: no values"
    p50, p95 = nearest_rank(values, 50), nearest_rank(values, 95)
    return f"{label}: p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(values):.2f} s (min {min(values):.2f} s)"


def report(
    scheduled: dict[str, datetime],
    published: dict[str, dict[str, Any]],
    runner: LocalRunner,
    options: Options,
) -> None:
    starts, finishes, mismatched = [], [], 0
    for content_id, record in published.items():
        metadata = record["metadata"]
        if metadata.get("scheduled_for") != scheduled[content_id].strftime("%Y-%m-%dT%H:%M:%SZ"):
            mismatched += 1
        starts.append(float(metadata["lateness_seconds"]))
        published_at = datetime.fromisoformat(record["published_at"].replace("Z", "+00:00"))
        finishes.append((published_at - scheduled[content_id]).total_seconds())
    runs = len(re.findall(rf"invoke {JOB} \[schedule", runner.log()))
    print(f"published {len(published)} of {len(scheduled)} (naming another scheduled time: {mismatched})")
    print(summary("lateness of the publish start (worker's claim - scheduled time)", starts))
    print(summary("lateness of published_at (whole seconds, so up to 1 s low)", finishes))
    print(f"{JOB} ran {runs} times (every {300 / options.clock_speed:g} real seconds)")


def run(options: Options) -> int:
    print(
        f"End-to-end lateness: {options.count} items {options.spacing} s apart on {options.sites} sites, "
        f"the first due {options.lead} s after scheduling; python -m local start --clock-speed "
        f"{options.clock_speed:g} (rate(5 minutes) every {300 / options.clock_speed:g} s; the functions "
        "read the real clock, so every time below is wall-clock seconds)"
    )
    with running_local("--clock-speed", str(options.clock_speed)) as runner:
        api = Api(runner, local_token(f"bench-{uuid.uuid4().hex[:8]}"))
        site_ids = make_sites(api, runner, options.sites, options.workers)
        content_ids = make_approved_content(api, site_ids, options.count, options.workers)
        scheduled = schedule(api, content_ids, options)
        last = max(scheduled.values())
        print(
            f"scheduled {len(scheduled)} items from {min(scheduled.values()):%H:%M:%S} to {last:%H:%M:%S} UTC"
        )
        published = wait_for_publications(api, set(scheduled), options.timeout)
        report(scheduled, published, runner, options)
        if options.log:
            options.log.write_text(runner.log())
        if len(published) < len(scheduled):
            print(
                f"gave up after {options.timeout:g} s: {len(scheduled) - len(published)} items were not "
                "published; the runner's last log lines:\n" + "\n".join(runner.log().splitlines()[-20:])
            )
            return 1
    return 0


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_lateness", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--count", type=int, default=50, help="items to schedule (50)")
    parser.add_argument(
        "--spacing",
        type=int,
        default=2,
        help="seconds between scheduled times (2; 0: all at once, a site each)",
    )
    parser.add_argument("--lead", type=int, default=90, help="seconds from scheduling to the first item (90)")
    parser.add_argument("--clock-speed", type=float, default=60, help="the runner's schedule speed (60)")
    parser.add_argument("--timeout", type=float, default=360, help="give up after this many seconds (360)")
    parser.add_argument("--log", type=Path, help="keep the runner's log in this file")
    parser.add_argument(
        "--workers", type=int, default=4, help="API requests at once while setting up (4, the runner's)"
    )
    args = parser.parse_args(argv)
    if (
        min(args.count, args.lead, args.workers) < 1
        or args.spacing < 0
        or min(args.timeout, args.clock_speed) <= 0
    ):
        parser.error("count, lead, workers, timeout and clock speed must be positive, spacing not negative")
    return Options(
        args.count, args.spacing, args.lead, args.clock_speed, args.timeout, args.log, args.workers
    )


if __name__ == "__main__":
    sys.exit(run(parse(sys.argv[1:])))
