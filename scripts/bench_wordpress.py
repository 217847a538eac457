"""Publisher's overhead when publishing to a real WordPress, against the same posts made with raw
REST calls (a benchmark that prints numbers, not a test; one run, one ratio).

    .venv/bin/python scripts/bench_wordpress.py [--posts 50]

1. WordPress on loopback from scripts/e2e/wordpress.sh up (stopped again afterwards unless it was
   already running), moto's server on loopback provisioned from template.yaml.
2. Raw: N times `POST /wp/v2/posts` with requests (title, html, status publish, unique slugs).
3. Publisher: N contents created and approved through the API (not timed); then timed, from the
   first `POST /publisher/publish/` to the last published record: the N publish calls through
   the local gateway (authorizer included), then the PublishWorker handler on Lambda SQS events
   built from the messages received from the moto queue, 10 a batch, until the queue is empty.
   Every record is checked to be published and every post to exist once, after the clock stopped.
One warm-up post on each side first (not counted): cold starts are not what is measured.
The AWS calls are counted with a botocore hook on every session, WordPress requests with a
wrapper around requests.Session.send; the bench deletes its posts from WordPress at the end.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "publisher")]

import botocore.handlers  # noqa: E402
import requests  # noqa: E402

AWS_CALLS: Counter[tuple[str, str]] = Counter()
WP_REQUESTS: Counter[str] = Counter()  # by HTTP method, requests to WordPress only
WAITED: Counter[str] = Counter()  # seconds spent waiting on "aws" (moto) and "wordpress"


def _before_aws_call(model: Any, context: dict[str, Any], **_: Any) -> None:
    AWS_CALLS[(model.service_model.service_name, model.name)] += 1
    context["bench_started"] = time.perf_counter()


def _after_aws_call(context: dict[str, Any], **_: Any) -> None:
    if "bench_started" in context:
        WAITED["aws"] += time.perf_counter() - context.pop("bench_started")


# Registered on every botocore session created from now on (pynamodb's and boto3's alike).
botocore.handlers.BUILTIN_HANDLERS.append(("before-call.*.*", _before_aws_call))
botocore.handlers.BUILTIN_HANDLERS.append(("after-call.*.*", _after_aws_call))

from moto.server import ThreadedMotoServer  # noqa: E402

WP_SCRIPT = ROOT / "scripts" / "e2e" / "wordpress.sh"
WP_STATE_DIR = Path(os.environ.get("WP_STATE_DIR", "/tmp/publisher-e2e-wp"))  # noqa: S108 (wordpress.sh's default)
TITLE = "Growing tomatoes on a balcony"
HTML = (
    "<h2>Light</h2><p>Six hours of sun a day, more if you can give it.</p>"
    "<h2>Water</h2><p>Deeply, in the morning, and never on the leaves.</p>"
    "<ul><li>Pots of 20 litres or more</li><li>A stake for every plant</li></ul>"
)
ACCOUNT = "acct-bench"


# --- WordPress -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WordPress:
    base_url: str
    username: str
    application_password: str

    @property
    def auth(self) -> tuple[str, str]:
        return self.username, self.application_password

    def route(self, route: str) -> str:
        return f"{self.base_url}/wp-json/{route.strip('/')}"


def wordpress_script(command: str) -> None:
    env = {**os.environ, "WP_STATE_DIR": str(WP_STATE_DIR)}
    subprocess.run([str(WP_SCRIPT), command], check=True, env=env, timeout=900)


def wordpress_answers() -> bool:
    """Whether a WordPress from an earlier `up` is answering now (then this bench leaves it up)."""
    state = WP_STATE_DIR / "wordpress.json"
    if not state.exists():
        return False
    try:
        base_url = json.loads(state.read_text())["base_url"]
        return requests.get(f"{base_url}/wp-json/", timeout=5).ok
    except (requests.RequestException, ValueError, KeyError):
        return False


@contextmanager
def running_wordpress() -> Iterator[WordPress]:
    already_up = wordpress_answers()
    wordpress_script("up")
    data = json.loads((WP_STATE_DIR / "wordpress.json").read_text())
    try:
        yield WordPress(data["base_url"], data["username"], data["application_password"])
    finally:
        if not already_up:
            wordpress_script("down")


@contextmanager
def counting_wordpress_requests(base_url: str) -> Iterator[None]:
    """Count every request requests sends to WordPress (botocore does not use requests)."""
    original = requests.Session.send

    def send(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if not (request.url or "").startswith(base_url):
            return original(self, request, **kwargs)
        WP_REQUESTS[str(request.method)] += 1
        started = time.perf_counter()
        try:
            return original(self, request, **kwargs)
        finally:
            WAITED["wordpress"] += time.perf_counter() - started

    requests.Session.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        requests.Session.send = original  # type: ignore[method-assign]


def raw_post(session: requests.Session, wp: WordPress, slug: str) -> int:
    reply = session.post(
        wp.route("wp/v2/posts"),
        json={"title": TITLE, "content": HTML, "status": "publish", "slug": slug},
        auth=wp.auth,
        timeout=60,
    )
    reply.raise_for_status()
    return int(reply.json()["id"])


def posts_by_slug(wp: WordPress, slugs: list[str]) -> Counter[str]:
    """How many posts WordPress holds under each slug (any status)."""
    found: Counter[str] = Counter()
    for start in range(0, len(slugs), 50):
        reply = requests.get(
            wp.route("wp/v2/posts"),
            params={
                "slug": ",".join(slugs[start : start + 50]),
                "status": "any",
                "per_page": 100,
                "context": "edit",
            },
            auth=wp.auth,
            timeout=60,
        )
        reply.raise_for_status()
        found.update(post["slug"] for post in reply.json())
    return found


def delete_posts(wp: WordPress, post_ids: list[int]) -> None:
    with requests.Session() as session:
        for post_id in post_ids:
            session.delete(
                wp.route(f"wp/v2/posts/{post_id}"), params={"force": "true"}, auth=wp.auth, timeout=60
            )


# --- Publisher on moto ----------------------------------------------------------------------


class Publisher:
    """The API through the local gateway (with the real authorizer) and the worker's handler
    fed from the moto queue, as the local runner does it."""

    def __init__(self, endpoint_url: str) -> None:
        from local.api import Gateway, load_rest_api
        from local.aws import LOCAL_JWT_SECRET, provision
        from local.runner import prepare_functions
        from publisher.tokens import issue_token

        self.stack = provision(endpoint_url)
        self.functions = prepare_functions(self.stack)  # sets the functions' shared environment
        self.gateway = Gateway(load_rest_api(self.stack.template, self.stack.resolver), self.functions)
        self.token = issue_token(LOCAL_JWT_SECRET, account_id=ACCOUNT, role="owner", sub="bench")
        self.sqs = self.stack.client("sqs")
        self.queue_url = self.stack.queue_urls["PublishQueue"]
        self.queue_arn = f"arn:aws:sqs:us-east-1:123456789012:{self.queue_url.rsplit('/', 1)[1]}"

    def call(self, method: str, path: str, expected: int, body: Any = None, query: str = "") -> Any:
        from local.events import HttpRequest

        request = HttpRequest(
            method=method,
            path=f"/api/v1{path}",
            query=query,
            headers=(("Content-Type", "application/json"), ("Authorization", f"Bearer {self.token}")),
            body=json.dumps(body).encode() if body is not None else b"",
        )
        reply = self.gateway.handle(request)
        if reply.status != expected:
            raise RuntimeError(f"{method} {path} answered {reply.status}: {reply.body.decode()[:300]}")
        return json.loads(reply.body)["data"]

    def wordpress_site(self, wp: WordPress) -> str:
        site = self.call("POST", "/sites/", 201, {"name": "Bench", "url": wp.base_url})
        integration = {
            "config": {"base_url": wp.base_url, "allow_insecure_http": True},
            "credentials": {"username": wp.username, "application_password": wp.application_password},
        }
        self.call("PUT", f"/sites/{site['id']}/integrations/wordpress/", 200, integration)
        return site["id"]

    def approved_content(self, site_id: str, slug: str) -> str:
        body = {"site_id": site_id, "title": TITLE, "html": HTML, "slug": slug}
        content = self.call("POST", "/content/", 201, body)
        self.call("PATCH", f"/content/{content['id']}/", 200, {"status": "approved"})
        return content["id"]

    def publish(self, content_id: str) -> None:
        self.call("POST", "/publisher/publish/", 202, {"content_id": content_id})

    def drain(self, max_batches: int) -> int:
        """Hand every visible message to the worker, 10 a batch, as Lambda's poller does."""
        from local.events import sqs_event

        handled = 0
        for _ in range(max_batches):
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                return handled
            reply = self.functions.invoke("PublishWorkerFunction", sqs_event(messages, self.queue_arn), "sqs")
            failed = {item["itemIdentifier"] for item in reply["batchItemFailures"]}
            for message in messages:
                if message["MessageId"] not in failed:
                    self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            handled += len(messages)
        raise RuntimeError(f"the queue still had messages after {max_batches} batches")

    def external_ids(self, content_ids: list[str]) -> list[int]:
        """The WordPress post ids of these contents' published records."""
        return [int(r["external_id"]) for c in content_ids for r in self.published_records(c)]

    def published_records(self, content_id: str) -> list[dict[str, Any]]:
        status = self.call("GET", "/publisher/publish/status/", 200, query=f"content_id={content_id}")
        return [record for record in status["records"] if record["status"] == "published"]


# --- the runs --------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    seconds: float
    posts: int
    aws: Counter[tuple[str, str]]
    wp: Counter[str]
    waited: Counter[str]

    @property
    def ms_per_post(self) -> float:
        return self.seconds * 1000 / self.posts


def measured(name: str, posts: int, work: Callable[[], object]) -> Run:
    AWS_CALLS.clear()
    WP_REQUESTS.clear()
    WAITED.clear()
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    return Run(name, seconds, posts, Counter(AWS_CALLS), Counter(WP_REQUESTS), Counter(WAITED))


def raw_run(wp: WordPress, slugs: list[str], created: list[int]) -> Run:
    with requests.Session() as session:
        created.append(raw_post(session, wp, f"{slugs[0]}-warm-up"))
        return measured(
            "raw POST /wp/v2/posts",
            len(slugs),
            lambda: created.extend(raw_post(session, wp, s) for s in slugs),
        )


def publisher_run(
    publisher: Publisher, wp: WordPress, slugs: list[str], content_ids: list[str]
) -> tuple[Run, Run]:
    """(publish API phase, worker phase); the total is their sum. `content_ids` is filled as
    the contents are created (the warm-up one first)."""
    site_id = publisher.wordpress_site(wp)
    content_ids.append(publisher.approved_content(site_id, f"{slugs[0]}-warm-up"))
    publisher.publish(content_ids[0])
    publisher.drain(max_batches=3)
    measured_ids = [publisher.approved_content(site_id, slug) for slug in slugs]
    content_ids.extend(measured_ids)
    publish = measured(
        "  publish API (POST /publisher/publish/)",
        len(slugs),
        lambda: [publisher.publish(content_id) for content_id in measured_ids],
    )
    worker = measured(
        "  PublishWorker on SQS batches of 10",
        len(slugs),
        lambda: publisher.drain(max_batches=len(slugs)),
    )
    return publish, worker


def check(wp: WordPress, publisher: Publisher, content_ids: list[str], slugs: list[str]) -> None:
    """After the clock stopped: every record published, every post in WordPress exactly once."""
    unpublished = [c for c in content_ids if len(publisher.published_records(c)) != 1]
    if unpublished:
        raise RuntimeError(f"{len(unpublished)} content items were not published exactly once")
    found = posts_by_slug(wp, slugs)
    wrong = [slug for slug in slugs if found[slug] != 1]
    if wrong:
        raise RuntimeError(f"{len(wrong)} slugs are not in WordPress exactly once, e.g. {wrong[0]}")


# --- report ----------------------------------------------------------------------------------


def per_post(counter: Counter[Any], posts: int) -> str:
    """`total (name n, ...)` per post, for a counter keyed by operation name."""
    if not counter:
        return "0"
    detail = ", ".join(f"{name} {n / posts:.1f}" for name, n in sorted(counter.items()))
    return f"{sum(counter.values()) / posts:.1f} ({detail})"


def of_service(calls: Counter[tuple[str, str]], service: str) -> Counter[str]:
    return Counter({operation: n for (name, operation), n in calls.items() if name == service})


def report(posts: int, raw: Run, publish: Run, worker: Run) -> None:
    total = publish.seconds + worker.seconds
    both = Run(
        "Publisher: publish API + worker",
        total,
        posts,
        publish.aws + worker.aws,
        publish.wp + worker.wp,
        publish.waited + worker.waited,
    )
    print(f"\n{posts} posts to WordPress on loopback, one run (after one warm-up post each)\n")
    print(f"{'':42} {'wall s':>7} {'ms/post':>8} {'WordPress':>10} {'moto':>6} {'rest':>6}")
    for run in (raw, both, publish, worker):
        wordpress, aws = (run.waited[peer] * 1000 / posts for peer in ("wordpress", "aws"))
        rest = run.ms_per_post - wordpress - aws
        print(
            f"{run.name:42} {run.seconds:7.2f} {run.ms_per_post:8.1f}{wordpress:11.1f} {aws:6.1f} {rest:6.1f}"
        )
    print("(ms per post waiting on WordPress, on moto's AWS calls, and the rest: Python in this process)")
    overhead = (total - raw.seconds) * 1000 / posts
    print(f"\nratio Publisher / raw: {total / raw.seconds:.2f}x (overhead {overhead:.1f} ms per post)")
    print("\nper post in Publisher's run (raw run: 1 WordPress request, no AWS calls):")
    print(f"  {'WordPress requests':22} {per_post(publish.wp + worker.wp, posts)}")
    for phase_name, phase in (("publish API", publish), ("worker", worker)):
        for service in sorted({name for name, _ in phase.aws}):
            label = f"{phase_name}, {service}"
            print(f"  {label:22} {per_post(of_service(phase.aws, service), posts)}")
    print("  (the worker's SQS ReceiveMessage/DeleteMessage are what Lambda's poller does)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=50, help="posts per side (default 50, 1 to 500)")
    posts = max(1, min(parser.parse_args().posts, 500))
    logging.disable(logging.WARNING)  # the functions' INFO log lines would flood stdout
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"  # and so would their EMF metric lines
    run_id = uuid.uuid4().hex[:6]
    raw_slugs = [f"bench-{run_id}-raw-{n:03d}" for n in range(posts)]
    publisher_slugs = [f"bench-{run_id}-pub-{n:03d}" for n in range(posts)]
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        with running_wordpress() as wp, counting_wordpress_requests(wp.base_url):
            publisher = Publisher("http://{}:{}".format(*moto.get_host_and_port()))
            raw_ids: list[int] = []
            content_ids: list[str] = []
            try:
                raw = raw_run(wp, raw_slugs, raw_ids)
                publish, worker = publisher_run(publisher, wp, publisher_slugs, content_ids)
                check(wp, publisher, content_ids, raw_slugs + publisher_slugs)
                report(posts, raw, publish, worker)
            finally:  # leave the e2e WordPress as it was
                delete_posts(wp, raw_ids + publisher.external_ids(content_ids))
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
