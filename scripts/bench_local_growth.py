"""Whether the local runner stays as fast and as small as data grows (a benchmark that prints numbers).

    .venv/bin/python -m scripts.bench_local_growth [--rounds 5] [--posts 100] [--clients 2]
    .venv/bin/python -m scripts.bench_local_growth --rounds 10 --posts 200     # the issue's size

Starts `python -m local start --no-schedules` on free loopback ports (as `make run` does, without
the demo and the schedules, whose jobs would add their own work to the figures), then writes in
rounds: each round POSTs `--posts` times, alternating a new site and a new content item in it.
Per round it prints the POSTs per second, the p95 latency, the CPU time the runner's process spent
per POST (moto lives there; unlike the rate, this does not depend on how busy the machine is) and
the resident memory of the runner's process and of its API worker processes, from /proc. Flat
means the last round within 1.5x of the first; the verdict is on the CPU per POST and the memory,
as the rate on a shared machine moves with everything else running.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.support.local_runner import local_token, running_local

FLAT = 1.5


def rss_mib(pid: int) -> float:
    """VmRSS of a process in MiB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (the runner's API workers)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


class Writer:
    """POSTs a site, then a content item in it, then the next site...; one counter for all clients."""

    def __init__(self, api: str, token: str) -> None:
        self.api = api
        self.headers = {"Authorization": f"Bearer {token}"}
        self.numbers = itertools.count()
        self.last_site: str | None = None
        self.created = {"sites": 0, "content": 0}

    def post(self, session: requests.Session) -> tuple[int, float]:
        number = next(self.numbers)
        started = time.perf_counter()
        if number % 2 == 0 or self.last_site is None:
            reply = session.post(
                f"{self.api}/sites/",
                headers=self.headers,
                json={"name": f"Growth {uuid.uuid4().hex}"},
                timeout=120,
            )
            if reply.status_code == 201:
                self.last_site = reply.json()["data"]["id"]
                self.created["sites"] += 1
        else:
            body = {"site_id": self.last_site, "title": f"Growth {number}", "html": "<p>Growing.</p>"}
            reply = session.post(f"{self.api}/content/", headers=self.headers, json=body, timeout=120)
            self.created["content"] += reply.status_code == 201
        return reply.status_code, (time.perf_counter() - started) * 1000


def one_round(writer: Writer, sessions: list[requests.Session], posts: int) -> tuple[float, float, int]:
    """`posts` POSTs over the sessions at once: (POSTs per second, p95 ms, errors)."""
    results: list[tuple[int, float]] = []
    share = [posts // len(sessions) + (1 if i < posts % len(sessions) else 0) for i in range(len(sessions))]

    def run(session: requests.Session, n: int) -> None:
        results.extend(writer.post(session) for _ in range(n))

    started = time.perf_counter()
    with ThreadPoolExecutor(len(sessions)) as pool:
        for future in [pool.submit(run, session, n) for session, n in zip(sessions, share, strict=True)]:
            future.result()
    elapsed = time.perf_counter() - started
    latencies = [latency for _, latency in results]
    p95 = statistics.quantiles(latencies, n=20)[18] if len(latencies) > 1 else latencies[0]
    return posts / elapsed, p95, sum(1 for status, _ in results if status >= 400)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of POSTs (the issue's size: 10)")
    parser.add_argument("--posts", type=int, default=100, help="POSTs per round, half sites (issue: 200)")
    parser.add_argument("--clients", type=int, default=2, help="concurrent keep-alive clients")
    args = parser.parse_args()
    rounds, posts, clients = max(1, args.rounds), max(2, min(args.posts, 5000)), max(1, args.clients)
    token = local_token(f"bench-growth-{uuid.uuid4().hex[:8]}")
    with running_local("--no-schedules") as runner:
        writer = Writer(f"{runner.api_url}/api/v1", token)
        sessions = [requests.Session() for _ in range(clients)]
        one_round(writer, sessions, 4 * clients)  # unmeasured: the API workers' cold starts
        pid = runner.process.pid
        print(f"{rounds} rounds of {posts} POSTs (sites and content, alternating) from {clients} clients")
        columns = ("round", "sites", "content", "POST/s", "p95 ms", "errors", "CPU ms/POST", "runner MiB")
        columns += ("workers MiB",)
        print("".join(f"{name:>12}" for name in columns))
        first: tuple[float, float, float] | None = None
        for number in range(1, rounds + 1):
            cpu_before = cpu_seconds(pid)
            rate, p95, errors = one_round(writer, sessions, posts)
            cpu = (cpu_seconds(pid) - cpu_before) * 1000 / posts
            memory = rss_mib(pid)
            workers = sum(rss_mib(child) for child in children(pid))
            created = writer.created
            row = (number, created["sites"], created["content"], f"{rate:.1f}", f"{p95:.0f}", errors)
            row += (f"{cpu:.1f}", f"{memory:.0f}", f"{workers:.0f}")
            print("".join(f"{value:>12}" for value in row))
            first = first or (rate, cpu, memory)
        slower, costlier, bigger = first[0] / rate, cpu / first[1], memory / first[2]
        verdict = "flat" if costlier <= FLAT and bigger <= FLAT else "NOT flat"
        print(
            f"last round vs first: {slower:.2f}x slower, {costlier:.2f}x the CPU per POST, "
            f"{bigger:.2f}x the runner's memory ({verdict}: CPU per POST and memory ≤ {FLAT}x)"
        )


if __name__ == "__main__":
    main()
