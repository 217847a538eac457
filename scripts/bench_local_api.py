"""How many requests per second the local API serves (a benchmark that prints numbers, not a test).

    .venv/bin/python -m scripts.bench_local_api [--requests 200] [--clients 1 4] [--api http://127.0.0.1:3000]
    .venv/bin/python -m scripts.bench_local_api --lost-writes [--clients 8] [--requests 480]

Without --api it starts `python -m local start --no-schedules` on free loopback ports and stops it
afterwards. Loopback only, a bounded number of requests per measurement. `--lost-writes` instead
creates content from concurrent clients (titles repeat, so slug claims collide and creates are
refused and retried) and reads every acknowledged item back: an item that is gone is a lost write.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlsplit

import requests

from tests.support.local_runner import local_token, running_local

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@contextmanager
def api_under_test(url: str | None) -> Iterator[str]:
    if url:
        if urlsplit(url).hostname not in LOOPBACK:
            raise SystemExit("the benchmark only talks to a loopback address")
        yield url.rstrip("/")
        return
    with running_local("--no-schedules") as runner:
        yield runner.api_url


def measure(
    label: str, count: int, clients: int, request: Callable[[requests.Session], int], warm_up: bool = True
) -> None:
    """`count` requests spread over `clients` keep-alive sessions; prints req/s and latencies.
    First, unmeasured, a few rounds from as many clients: the runner's API workers start on
    demand, and their cold starts are not what this measures."""
    if warm_up:
        measure(label, 4 * clients, clients, request, warm_up=False)
    sessions = [requests.Session() for _ in range(clients)]
    latencies: list[float] = []
    statuses: list[int] = []

    def run(session: requests.Session, n: int) -> None:
        for _ in range(n):
            started = time.perf_counter()
            statuses.append(request(session))
            latencies.append((time.perf_counter() - started) * 1000)

    share = [count // clients + (1 if i < count % clients else 0) for i in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(run, session, n) for session, n in zip(sessions, share, strict=True)]:
            future.result()
    elapsed = time.perf_counter() - started
    if not warm_up:
        return
    cuts = statistics.quantiles(latencies, n=20)
    bad = sum(1 for status in statuses if status >= 400)
    row = (clients, count, f"{count / elapsed:.1f}", f"{cuts[9]:.1f}", f"{cuts[18]:.1f}", bad)
    print(f"{label:<28}" + "".join(f"{value:>10}" for value in row))


def lost_writes(api: str, clients: int, count: int) -> None:
    """`count` content creates over `clients` concurrent sessions; every 201 is read back."""
    owner = {"Authorization": f"Bearer {local_token(f'bench-lost-{uuid.uuid4().hex[:8]}')}"}
    site = requests.post(f"{api}/sites/", headers=owner, json={"name": "Lost writes"}, timeout=30)
    site_id = site.json()["data"]["id"]
    acknowledged: list[str] = []
    statuses: list[int] = []

    def create(index: int) -> None:
        body = {"site_id": site_id, "title": f"Same title {index % 6}", "html": "<p>x</p>"}
        reply = requests.post(f"{api}/content/", headers=owner, json=body, timeout=60)
        statuses.append(reply.status_code)
        if reply.status_code == 201:
            acknowledged.append(reply.json()["data"]["id"])

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(create, range(count)))
    elapsed = time.perf_counter() - started
    lost = [
        item
        for item in acknowledged
        if requests.get(f"{api}/content/{item}", headers=owner, timeout=30).status_code != 200
    ]
    by_status = ", ".join(f"{status}: {statuses.count(status)}" for status in sorted(set(statuses)))
    print(
        f"{count} creates from {clients} clients in {elapsed:.1f} s ({by_status}); "
        f"{len(acknowledged)} acknowledged, {len(lost)} lost"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per measurement (max 5000)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--api", help="a running `python -m local start` (loopback); else one is started")
    parser.add_argument("--lost-writes", action="store_true", help="count acknowledged writes that vanish")
    args = parser.parse_args()
    count = max(1, min(args.requests, 5000))
    if args.lost_writes:
        with api_under_test(args.api) as base:
            for clients in args.clients:
                lost_writes(f"{base}/api/v1", clients, count)
        return
    reader = {"Authorization": f"Bearer {local_token(f'bench-reader-{uuid.uuid4().hex[:8]}')}"}
    writer = {"Authorization": f"Bearer {local_token(f'bench-writer-{uuid.uuid4().hex[:8]}')}"}
    with api_under_test(args.api) as base:
        api = f"{base}/api/v1"
        # The reader's one site keeps the GET the same size however many sites the writer adds.
        requests.post(
            f"{api}/sites/", headers=reader, json={"name": f"Bench reader {uuid.uuid4().hex}"}, timeout=30
        ).raise_for_status()
        columns = ("clients", "requests", "req/s", "p50 ms", "p95 ms", "errors")
        print(f"{'request':<28}" + "".join(f"{name:>10}" for name in columns))
        for clients in args.clients:
            measure(
                "GET /health/ (public)",
                count,
                clients,
                lambda s: s.get(f"{api}/health/", timeout=30).status_code,
            )
            measure(
                "GET /sites/ (authorized)",
                count,
                clients,
                lambda s: s.get(f"{api}/sites/", headers=reader, timeout=30).status_code,
            )
            measure(
                "POST /sites/ (write)",
                count,
                clients,
                lambda s: (
                    s.post(
                        f"{api}/sites/",
                        headers=writer,
                        json={"name": f"Bench {uuid.uuid4().hex}"},
                        timeout=30,
                    ).status_code
                ),
            )


if __name__ == "__main__":
    main()
