"""The Webflow adapter over real HTTP against the local Data API v2 contract server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from publisher.destinations.base import Article, PermanentDestinationError, RetryableDestinationError
from publisher.destinations.webflow import RateLimiter, WebflowDestination, limiter_for
from tests.support.webflow_server import WebflowServer, webflow_server

TOKEN = "wf-test-token"
FIELD_MAP = {
    "name": "name",
    "slug": "slug",
    "body": "post-body",
    "summary": "post-summary",
    "image": "main-image",
}
ARTICLE = Article(
    content_id="01JCONTENT",
    slug="hello-webflow",
    title="Hello Webflow",
    html="<p>Body</p>",
    excerpt="Body",
    featured_image_url="https://images.example.com/cover.png",
    content_hash="h1",
)


@dataclass
class Clock:
    """A clock the test moves by hand (for rate windows; nothing here sleeps)."""

    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server_clock() -> Clock:
    return Clock()


@pytest.fixture
def server(server_clock: Clock) -> Iterator[WebflowServer]:
    with webflow_server(tokens=(TOKEN,), clock=server_clock) as running:
        yield running


@pytest.fixture
def collection_id(server: WebflowServer) -> str:
    return server.add_collection("Blog Posts")


def destination(
    server: WebflowServer,
    collection_id: str,
    *,
    token: str = TOKEN,
    field_map: dict[str, str] | None = None,
    limiter: RateLimiter | None = None,
) -> WebflowDestination:
    return WebflowDestination(
        {
            "site_id": "site-1",
            "collection_id": collection_id,
            "field_map": field_map or FIELD_MAP,
            "api_base_url": server.api_base_url,
            "allow_insecure_http": True,
            "item_url_base": "https://www.example.com/blog",
        },
        {"api_token": token},
        rate_limiter=limiter or RateLimiter(120),
    )


# --- publishing -----------------------------------------------------------------------------


def test_given_a_new_article_when_published_then_a_live_item_holds_the_mapped_fields(
    server: WebflowServer, collection_id: str
) -> None:
    post = destination(server, collection_id).publish(ARTICLE)

    item = server.item_by_slug(collection_id, "hello-webflow")
    assert item is not None and post.external_id == item["id"]
    assert server.is_live(collection_id, item["id"])
    assert item["fieldData"]["name"] == "Hello Webflow"
    assert item["fieldData"]["post-body"] == "<p>Body</p>"
    assert item["fieldData"]["post-summary"] == "Body"
    assert item["fieldData"]["main-image"]["url"].endswith("_cover.png")
    assert item["fieldData"]["main-image"]["alt"] == "Hello Webflow"
    assert post.external_url == "https://www.example.com/blog/hello-webflow"
    assert [c for c in server.calls if c[0] == "POST"] == [
        ("POST", f"/v2/collections/{collection_id}/items/live")
    ]


def test_given_a_published_item_then_find_by_slug_finds_it_with_one_filtered_call(
    server: WebflowServer, collection_id: str
) -> None:
    webflow = destination(server, collection_id)
    created = webflow.create(ARTICLE)
    server.calls.clear()

    found = webflow.find_by_slug("hello-webflow")
    missing = webflow.find_by_slug("not-there")

    assert found is not None and found.external_id == created.external_id
    assert found.metadata["isDraft"] is False
    assert missing is None
    assert server.calls == [("GET", f"/v2/collections/{collection_id}/items")] * 2


def test_given_the_same_article_published_twice_then_one_item_is_updated_not_duplicated(
    server: WebflowServer, collection_id: str
) -> None:
    webflow = destination(server, collection_id)
    first = webflow.publish(ARTICLE)

    second = webflow.publish(replace(ARTICLE, title="Hello again", featured_image_url=None))

    items = server.collections[collection_id].items
    assert list(items) == [first.external_id] and second.external_id == first.external_id
    assert items[first.external_id]["fieldData"]["name"] == "Hello again"
    assert items[first.external_id]["fieldData"]["main-image"] is None
    assert ("PATCH", f"/v2/collections/{collection_id}/items/{first.external_id}/live") in server.calls


def test_given_a_published_item_when_retracted_then_it_is_unpublished_and_kept_as_a_draft(
    server: WebflowServer, collection_id: str
) -> None:
    webflow = destination(server, collection_id)
    post = webflow.create(ARTICLE)

    webflow.retract(post.external_id)
    webflow.retract(post.external_id)  # already unpublished: nothing left to do

    assert not server.is_live(collection_id, post.external_id)
    assert server.collections[collection_id].items[post.external_id]["isDraft"] is True


def test_given_a_retracted_item_when_published_again_then_the_draft_is_updated_and_published(
    server: WebflowServer, collection_id: str
) -> None:
    webflow = destination(server, collection_id)
    post = webflow.create(ARTICLE)
    webflow.retract(post.external_id)
    server.calls.clear()

    again = webflow.publish(replace(ARTICLE, title="Back online"))

    item_path = f"/v2/collections/{collection_id}/items/{post.external_id}"
    assert again.external_id == post.external_id
    assert server.is_live(collection_id, post.external_id)
    assert server.collections[collection_id].items[post.external_id]["fieldData"]["name"] == "Back online"
    assert server.calls == [
        ("GET", f"/v2/collections/{collection_id}/items"),
        ("PATCH", f"{item_path}/live"),
        ("PATCH", item_path),
        ("POST", f"/v2/collections/{collection_id}/items/publish"),
    ]


def test_given_a_slug_taken_by_another_item_when_created_directly_then_the_conflict_is_permanent(
    server: WebflowServer, collection_id: str
) -> None:
    webflow = destination(server, collection_id)
    webflow.create(ARTICLE)

    with pytest.raises(PermanentDestinationError) as caught:
        webflow.create(replace(ARTICLE, content_id="other"))

    assert "HTTP 400" in str(caught.value)
    assert "slug: Unique value is already in database: 'hello-webflow'" in str(caught.value)
    assert len(server.collections[collection_id].items) == 1


def test_given_a_field_map_naming_a_field_the_collection_lacks_then_creating_is_permanent(
    server: WebflowServer, collection_id: str
) -> None:
    webflow = destination(server, collection_id, field_map={**FIELD_MAP, "summary": "excerpt"})

    with pytest.raises(PermanentDestinationError, match="excerpt: Field not described in schema"):
        webflow.create(ARTICLE)


def test_given_an_unknown_item_when_updated_then_the_error_is_permanent_not_found(
    server: WebflowServer, collection_id: str
) -> None:
    with pytest.raises(PermanentDestinationError, match=r"not found \(HTTP 404\)"):
        destination(server, collection_id).update("000000000000000000000000", ARTICLE)


# --- credentials, verification -------------------------------------------------------------


def test_given_a_wrong_token_then_calls_fail_permanently_and_the_token_is_not_in_the_message(
    server: WebflowServer, collection_id: str
) -> None:
    webflow = destination(server, collection_id, token="wf-wrong-token-123")

    with pytest.raises(PermanentDestinationError) as caught:
        webflow.create(ARTICLE)
    verification = webflow.verify()

    assert "credentials rejected" in str(caught.value)
    assert "Request not authorized" in str(caught.value)
    assert "wf-wrong-token-123" not in str(caught.value)
    assert not verification.ok and "credentials rejected" in verification.message


def test_given_a_valid_token_and_field_map_then_verify_names_the_collection(
    server: WebflowServer, collection_id: str
) -> None:
    verification = destination(server, collection_id).verify()

    assert verification.ok
    assert verification.message == "Connected to the Webflow collection “Blog Posts”."
    assert "post-body" in verification.details["fields"]


def test_given_a_field_map_with_a_missing_field_then_verify_says_which(
    server: WebflowServer, collection_id: str
) -> None:
    verification = destination(server, collection_id, field_map={**FIELD_MAP, "body": "content"}).verify()

    assert not verification.ok
    assert "has no field content" in verification.message


def test_given_an_unknown_collection_then_verify_reports_not_found(server: WebflowServer) -> None:
    verification = destination(server, "ffffffffffffffffffffffff").verify()

    assert not verification.ok and "HTTP 404" in verification.message


def test_given_no_token_then_nothing_is_sent_and_the_error_is_permanent(
    server: WebflowServer, collection_id: str
) -> None:
    with pytest.raises(PermanentDestinationError, match="no api_token"):
        destination(server, collection_id, token="").create(ARTICLE)

    assert server.calls == []


# --- rate limits --------------------------------------------------------------------------


def test_given_webflow_answers_429_then_retry_after_is_honoured_by_every_caller_of_the_token(
    server_clock: Clock, collection_id: str, server: WebflowServer
) -> None:
    server.rate_limit_per_minute = 2
    client_clock = Clock()
    limiter = RateLimiter(120, clock=client_clock, sleep=lambda _: pytest.fail("must not sleep"), max_wait=1)
    webflow = destination(server, collection_id, limiter=limiter)
    webflow.find_by_slug("a")
    webflow.find_by_slug("b")

    with pytest.raises(RetryableDestinationError) as caught:
        webflow.find_by_slug("c")
    calls_after_429 = len(server.calls)
    with pytest.raises(RetryableDestinationError, match="rate limit for this token is used up") as paused:
        destination(server, collection_id, limiter=limiter).find_by_slug("d")

    assert caught.value.retry_after == 60
    assert "rate limited" in str(caught.value)
    assert len(server.calls) == calls_after_429  # the paused limiter sent nothing
    assert paused.value.retry_after == 60

    server_clock.now += 60
    client_clock.now += 60
    assert webflow.find_by_slug("e") is None


def test_the_limiter_waits_for_the_oldest_request_to_leave_the_minute_window() -> None:
    clock = Clock(now=0.0)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    limiter = RateLimiter(2, clock=clock, sleep=sleep, max_wait=5)
    limiter.acquire()
    clock.now = 57.0
    limiter.acquire()

    limiter.acquire()

    assert slept == [3.0]


def test_the_limiter_sends_long_waits_back_to_the_queue_instead_of_sleeping() -> None:
    clock = Clock(now=0.0)
    limiter = RateLimiter(1, clock=clock, sleep=lambda _: pytest.fail("must not sleep"), max_wait=5)
    limiter.acquire()
    clock.now = 10.0

    with pytest.raises(RetryableDestinationError) as caught:
        limiter.acquire()

    assert caught.value.retry_after == 50


def test_limiters_are_shared_per_token_and_rate_in_the_process() -> None:
    shared = limiter_for("token-a", 60)

    assert limiter_for("token-a", 60) is shared
    assert limiter_for("token-b", 60) is not shared
    assert limiter_for("token-a", 120) is not shared
    assert limiter_for("token-a", 120).per_minute == 120


def test_given_no_limiter_then_instances_with_the_same_token_share_one(
    server: WebflowServer, collection_id: str
) -> None:
    config = {"collection_id": collection_id, "rate_limit_per_minute": 120}

    first = WebflowDestination(config, {"api_token": "shared-token"})
    second = WebflowDestination(config, {"api_token": "shared-token"})

    assert first.rate_limiter is second.rate_limiter
    assert first.rate_limiter.per_minute == 120
