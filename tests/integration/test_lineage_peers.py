"""The publication lineage against s3 (moto), a signed webhook (a real receiver on 127.0.0.1) and
the Webflow contract server, through Publisher's API and worker with the real adapters: publish,
publish unchanged, edit + publish, retract, republish.

After each step, what the peer holds is read from the peer itself (the bucket, the receiver's
state, the Webflow server's collection): one post all along, taken down by the retract and
restored by the republish (and again in a second retract and republish); the unchanged publish
sends the peer nothing and leaves it as it was.
Publisher's side is checked by `Lineage.check`. The requests each peer received are counted per
step (the unchanged publish must be 0) and printed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from publisher.destinations.webhook import EVENT_HEADER, SIGNATURE_HEADER, verify_signature
from tests.integration.publishing_support import BUCKET, create_site, put_integration, s3_site
from tests.support.lineage import STORY, Lineage, S3Calls, approved_content
from tests.support.loopback import LoopbackServer, Received, Reply
from tests.support.webflow_server import WebflowServer, webflow_server

FEATURED = "https://images.example.com/tomato.png"
SECRET = "0123456789abcdef0123"
WEBFLOW_TOKEN = "wf-lineage-token"


@dataclass
class Held:
    """One post as the peer holds it."""

    title: str
    live: bool


@dataclass
class Peer:
    """A destination under test: what it holds by external id, a snapshot of everything that
    changes when it is written (for the unchanged step), and the requests it received."""

    name: str
    held: Callable[[], dict[str, Held]]
    snapshot: Callable[[], Any]
    requests: Callable[[], list[Any]]


def run_sequence(aws: Any, site_id: str, peer: Peer, capsys: pytest.CaptureFixture[str]) -> Lineage:
    """The five steps, checking Publisher and the peer after each one."""
    content = approved_content(
        site_id,
        title="Tomatoes",
        html="<p>Sun and water.</p>",
        slug="tomatoes",
        excerpt="How tomatoes grow.",
        featured_image_url=FEATURED,
    )
    lineage = Lineage(aws, content["id"], peer.requests)

    record = lineage.publish("publish")
    lineage.check(outcomes=STORY[:1], site_status="published")
    external_id = record["external_id"]
    assert peer.held() == {external_id: Held("Tomatoes", live=True)}

    before = peer.snapshot()
    lineage.publish("publish unchanged")
    assert lineage.counts["publish unchanged"] == 0
    lineage.check(outcomes=STORY[:2], site_status="published")
    assert peer.snapshot() == before

    lineage.edit(title="Tomatoes, revised")
    lineage.check(outcomes=STORY[:2], site_status="published", changed=True)
    edited = lineage.publish("edit + publish")
    lineage.check(outcomes=STORY[:3], site_status="published")
    assert edited["external_id"] == external_id
    assert peer.held() == {external_id: Held("Tomatoes, revised", live=True)}

    lineage.retract("retract")
    lineage.check(outcomes=STORY[:4], site_status="not_published")
    assert not any(post.live for post in peer.held().values())
    assert set(peer.held()) <= {external_id}

    restored = lineage.publish("republish")
    lineage.check(outcomes=STORY, site_status="published")
    assert restored["external_id"] == external_id
    assert peer.held() == {external_id: Held("Tomatoes, revised", live=True)}

    lineage.report(peer.name, capsys)
    assert all(lineage.counts[step] > 0 for step in ("publish", "edit + publish", "retract", "republish"))

    # the same content can go down and up again: the peer follows every time
    lineage.retract("retract again")
    lineage.check(outcomes=[*STORY, "retracted"], site_status="not_published")
    assert not any(post.live for post in peer.held().values())
    lineage.publish("republish again")
    lineage.check(outcomes=[*STORY, "retracted", "published"], site_status="published")
    assert peer.held() == {external_id: Held("Tomatoes, revised", live=True)}
    return lineage


# --- s3 (moto) -------------------------------------------------------------------------------


def test_s3_lineage_one_page_and_nothing_written_when_unchanged(
    aws: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = s3_site(aws)
    s3 = aws.client("s3")

    def pages() -> dict[str, dict[str, Any]]:
        """The bucket's manifest of published pages (what the index page lists)."""
        manifest = s3.get_object(Bucket=BUCKET, Key="_publisher/index.json")
        return json.loads(manifest["Body"].read())["pages"]

    def held() -> dict[str, Held]:
        objects = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        keys = [item["Key"] for item in objects if item["Key"].endswith("/index.html")]
        listed = pages()
        assert set(listed) == set(keys)  # the index lists exactly the pages in the bucket
        return {key: Held(listed[key]["title"], live=True) for key in keys}

    def snapshot() -> dict[str, str]:
        return {item["Key"]: item["ETag"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}

    calls = S3Calls(monkeypatch, BUCKET)
    lineage = run_sequence(aws, site["id"], Peer("s3", held, snapshot, calls), capsys)

    writes = [operation for operation, _ in lineage.sent["retract"] if operation == "DeleteObject"]
    assert writes == ["DeleteObject"]  # the page itself; the index is rewritten, not deleted


# --- signed webhook (a real receiver on loopback) -------------------------------------------------


@dataclass
class Receiver:
    """A webhook receiver as a site owner would run one: it checks each signature, drops a
    repeated Idempotency-Key, and keeps the posts it was told about."""

    posts: dict[str, Held] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Received) -> Reply:
        if not verify_signature(SECRET, request.headers.get(SIGNATURE_HEADER, ""), request.body):
            return Reply(401, {"Content-Type": "application/json"}, b'{"error": "bad signature"}')
        event = json.loads(request.body)
        with self.lock:
            key = request.headers.get("Idempotency-Key", "")
            duplicate = key in self.keys
            self.keys.append(key)
            external_id = event.get("external_id") or f"post-{len(self.posts) + 1}"
            if not duplicate and request.headers.get(EVENT_HEADER) == "publication.retracted":
                self.posts[external_id].live = False
            elif not duplicate:
                self.posts[external_id] = Held(event["title"], live=True)
        reply = {"id": external_id, "url": f"https://hooks.example.com/{external_id}"}
        return Reply(200, {"Content-Type": "application/json"}, json.dumps(reply).encode())


@pytest.fixture
def receiver() -> Iterator[tuple[LoopbackServer, Receiver]]:
    server, receiver = LoopbackServer(), Receiver()
    server.route("POST", "/hooks/publisher", receiver)
    server.start()
    try:
        yield server, receiver
    finally:
        server.stop()


def test_webhook_lineage_one_post_and_nothing_sent_when_unchanged(
    aws: Any, receiver: tuple[LoopbackServer, Receiver], capsys: pytest.CaptureFixture[str]
) -> None:
    server, hooks = receiver
    site = create_site()
    config = {"url": f"{server.url}/hooks/publisher", "allow_insecure_http": True}
    put_integration(site["id"], "webhook", {"config": config, "credentials": {"signing_secret": SECRET}})

    def sent() -> list[tuple[str, str]]:
        return [
            (r.headers.get(EVENT_HEADER, ""), r.headers.get("Idempotency-Key", "")) for r in server.received
        ]

    lineage = run_sequence(
        aws, site["id"], Peer("webhook", lambda: dict(hooks.posts), lambda: list(hooks.keys), sent), capsys
    )

    events = [event for step in lineage.sent.values() for event, _ in step]
    assert events == [
        "publication.created",
        "publication.updated",
        "publication.retracted",
        "publication.updated",
        "publication.retracted",
        "publication.updated",
    ]
    assert len(set(hooks.keys)) == len(hooks.keys)  # never the same Idempotency-Key twice


# --- the Webflow contract server -----------------------------------------------------------------


@pytest.fixture
def webflow() -> Iterator[WebflowServer]:
    with webflow_server(tokens=(WEBFLOW_TOKEN,)) as server:
        yield server


def test_webflow_lineage_one_item_and_nothing_sent_when_unchanged(
    aws: Any, webflow: WebflowServer, capsys: pytest.CaptureFixture[str]
) -> None:
    collection_id = webflow.add_collection("Blog Posts")
    collection = webflow.collections[collection_id]
    site = create_site()
    config = {
        "site_id": "webflow-site",
        "collection_id": collection_id,
        "api_base_url": webflow.api_base_url,
        "allow_insecure_http": True,
        "item_url_base": "https://garden.example.com/blog",
    }
    put_integration(site["id"], "webflow", {"config": config, "credentials": {"api_token": WEBFLOW_TOKEN}})

    def held() -> dict[str, Held]:
        return {
            item_id: Held(item["fieldData"]["name"], live=item_id in collection.live)
            for item_id, item in collection.items.items()
        }

    def snapshot() -> list[tuple[str, str, str]]:
        return [
            (item["id"], item["lastUpdated"], item["lastPublished"]) for item in collection.items.values()
        ]

    lineage = run_sequence(
        aws, site["id"], Peer("webflow", held, snapshot, lambda: list(webflow.calls)), capsys
    )

    [item] = collection.items.values()
    assert item["fieldData"]["main-image"]["url"].startswith("https://cdn.example-webflow.test/")
    assert lineage.sent["retract"] == [("DELETE", f"/v2/collections/{collection_id}/items/{item['id']}/live")]
