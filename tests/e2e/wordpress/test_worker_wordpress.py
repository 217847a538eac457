"""Publishing to a real WordPress through Publisher's own worker.

Everything Publisher is asked goes through its public API (the local gateway with the real
authorizer, tables and queue on moto); the worker runs on the Lambda SQS events built from the
messages the publish API put on the moto queue. What WordPress holds is read from its REST API
directly, never through the adapter under test.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from publisher.destinations.base import Article, RemotePost
from publisher.destinations.wordpress import WordPressDestination, media_slug
from publisher.domain.publishing import CLAIM_LEASE
from publisher.services.adapters import DestinationFactory
from publisher.services.worker import PublishWorker
from tests.integration.publishing_support import (
    SimulatedCrash,
    create_site,
    invoke_worker,
    make_visible,
    owner_token,
    put_integration,
    receive,
)
from tests.support.apigw import call

if TYPE_CHECKING:
    from tests.e2e.wordpress.conftest import ImageHost, WordPressSite

pytestmark = pytest.mark.e2e

CATEGORIES = ["E2E Worker News", "E2E Worker Guides"]
TAGS = ["e2e-worker", "E2E Worker Serverless"]


# --- Publisher, through its API ------------------------------------------------------------


def api(method: str, path: str, expected: int = 200, **kwargs: Any) -> Any:
    """One call to Publisher's API as the site's owner; the `data` of the envelope."""
    reply = call(method, f"/api/v1{path}", token=owner_token(), **kwargs)
    assert reply.status == expected, reply.body
    return reply.json["data"]


@pytest.fixture
def site(aws: Any, wordpress_integration: dict[str, Any]) -> dict[str, Any]:
    """A Publisher site whose only integration is the real WordPress."""
    site = create_site()
    body = {"config": wordpress_integration["config"], "credentials": wordpress_integration["credentials"]}
    put_integration(site["id"], "wordpress", body)
    return site


@pytest.fixture
def article(site: dict[str, Any], images: ImageHost) -> dict[str, Any]:
    """Approved content with a featured image, an inline image, categories and tags."""
    featured, inline = images.add("worker-featured"), images.add("worker-inline")
    body = {
        "site_id": site["id"],
        "title": "Tomatoes through the worker",
        "html": f'<p>Sun and water.</p><figure><img src="{inline}" alt="a tomato"></figure>',
        "slug": f"e2e-worker-{uuid.uuid4().hex[:8]}",  # WordPress keeps its posts between sessions
        "excerpt": "How tomatoes grow.",
        "featured_image_url": featured,
        "categories": CATEGORIES,
        "tags": TAGS,
    }
    content = api("POST", "/content/", 201, body=body)
    approved = api("PATCH", f"/content/{content['id']}/", body={"status": "approved"})
    assert approved["status"] == "approved"
    return {**approved, "featured": featured, "inline": inline}


def publish_now(content_id: str, status: str = "pending") -> dict[str, Any]:
    """POST /publisher/publish/ → 202; the one record (one integration): a new one is pending, a
    republished one is the same record, in its status until the worker claims it."""
    [record] = api("POST", "/publisher/publish/", 202, body={"content_id": content_id})["records"]
    assert record["status"] == status
    return record


def outcomes(record_id: str) -> list[str]:
    return [attempt["outcome"] for attempt in api("GET", f"/publisher/records/{record_id}/attempts/")]


def run_worker(aws: Any, worker: PublishWorker | None = None) -> list[dict[str, Any]]:
    """Receive what the queue holds and hand it to the worker's handler as Lambda would."""
    messages = receive(aws)
    assert messages, "the publish API put nothing on the queue"
    reply = invoke_worker(aws, messages, worker)
    assert reply["batchItemFailures"] == []
    return messages


def publish_status(content_id: str) -> dict[str, Any]:
    return api("GET", "/publisher/publish/status/", query={"content_id": content_id})


# --- WordPress, read directly ----------------------------------------------------------------


def posts_with_slug(wordpress: WordPressSite, slug: str) -> list[dict[str, Any]]:
    """Every post under this slug, trashed ones included (WordPress renames those)."""
    return wordpress.rest(
        "GET", "wp/v2/posts", slug=f"{slug},{slug}__trashed", status="any,trash", context="edit"
    )


def the_post(wordpress: WordPressSite, slug: str) -> dict[str, Any]:
    """The one post WordPress holds under this slug (fails if there are none or several)."""
    found = posts_with_slug(wordpress, slug)
    assert len(found) == 1, [(post["id"], post["status"]) for post in found]
    return found[0]


def term_names(wordpress: WordPressSite, taxonomy: str, ids: list[int]) -> set[str]:
    return {wordpress.rest("GET", f"wp/v2/{taxonomy}/{term_id}")["name"] for term_id in ids}


# --- create --------------------------------------------------------------------------------------


def test_given_approved_content_when_the_worker_publishes_then_wordpress_holds_one_post_with_media_and_terms(
    aws: Any, wordpress: WordPressSite, images: ImageHost, article: dict[str, Any]
) -> None:
    record = publish_now(article["id"])

    run_worker(aws)

    post = the_post(wordpress, article["slug"])
    assert post["status"] == "publish" and post["title"]["raw"] == "Tomatoes through the worker"
    assert post["excerpt"]["raw"] == "How tomatoes grow."
    featured = wordpress.rest("GET", f"wp/v2/media/{post['featured_media']}", context="edit")
    assert featured["slug"] == media_slug(article["featured"]) and featured["mime_type"] == "image/png"
    [inline] = wordpress.rest("GET", "wp/v2/media", slug=media_slug(article["inline"]))
    body = post["content"]["raw"]
    assert images.server.url not in body  # the inline image now points into the media library
    assert f'src="{inline["source_url"]}"' in body
    assert inline["source_url"].startswith(f"{wordpress.base_url}/wp-content/uploads/")
    assert term_names(wordpress, "categories", post["categories"]) == set(CATEGORIES)
    assert term_names(wordpress, "tags", post["tags"]) == set(TAGS)

    published = api("GET", f"/publisher/records/{record['id']}/")
    assert (published["status"], published["attempts"]) == ("published", 1)
    assert published["external_id"] == str(post["id"]) and published["external_url"] == post["link"]
    content = api("GET", f"/content/{article['id']}/")
    assert (content["status"], content["site_status"]) == ("published", "published")
    status = publish_status(article["id"])
    assert status["site_status"] == "published"
    assert [(r["id"], r["status"]) for r in status["records"]] == [(record["id"], "published")]
    assert receive(aws) == []  # the worker's messages were consumed


# --- update ----------------------------------------------------------------------------------


def test_given_published_content_when_edited_and_republished_then_the_same_post_is_updated(
    aws: Any, wordpress: WordPressSite, images: ImageHost, article: dict[str, Any]
) -> None:
    first = publish_now(article["id"])
    run_worker(aws)
    post_id = the_post(wordpress, article["slug"])["id"]
    edit = {
        "title": "Tomatoes, revised",
        "html": f'<p>Sun, water and patience.</p><img src="{article["inline"]}" alt="still a tomato">',
    }
    api("PATCH", f"/content/{article['id']}/", body=edit)

    second = publish_now(article["id"], status="published")
    run_worker(aws)

    post = the_post(wordpress, article["slug"])
    assert post["id"] == post_id and post["status"] == "publish"
    assert post["title"]["raw"] == "Tomatoes, revised"
    assert "Sun, water and patience." in post["content"]["raw"]
    assert "Sun and water." not in post["content"]["raw"]
    assert images.server.url not in post["content"]["raw"]
    assert images.downloads(article["inline"]) == images.downloads(article["featured"]) == 1  # reused
    [record] = publish_status(article["id"])["records"]  # one record per (content, destination)
    assert second["id"] == first["id"] == record["id"]
    assert record["status"] == "published" and record["external_id"] == str(post_id)
    assert outcomes(record["id"]) == ["published", "updated"]
    assert api("GET", f"/content/{article['id']}/")["site_status"] == "published"


# --- duplicate deliveries ---------------------------------------------------------------------


class ObservedWordPress(WordPressDestination):
    """The real WordPress adapter, noting each write the worker makes through it. With
    `crash_after_create`, the Lambda process dies right after WordPress created the post, before
    the worker could write the record."""

    def __init__(
        self,
        config: dict[str, Any],
        credentials: dict[str, Any],
        *,
        writes: list[tuple[str, str]],
        crash_after_create: bool = False,
    ) -> None:
        super().__init__(config, credentials)
        self.writes = writes
        self.crash_after_create = crash_after_create

    def create(self, article: Article) -> RemotePost:
        post = super().create(article)
        self.writes.append(("create", post.external_id))
        if self.crash_after_create:
            raise SimulatedCrash("the Lambda process died before the record was written")
        return post

    def update(self, external_id: str, article: Article) -> RemotePost:
        post = super().update(external_id, article)
        self.writes.append(("update", external_id))
        return post


def observed(writes: list[tuple[str, str]], *, crash_after_create: bool = False) -> DestinationFactory:
    """A factory handing the worker ObservedWordPress adapters that share one list of writes."""

    def factory(name: str, config: dict[str, Any], credentials: dict[str, Any]) -> ObservedWordPress:
        return ObservedWordPress(config, credentials, writes=writes, crash_after_create=crash_after_create)

    return factory


def test_given_the_same_message_delivered_twice_then_the_duplicate_makes_no_write_and_one_post_exists(
    aws: Any, wordpress: WordPressSite, article: dict[str, Any]
) -> None:
    record = publish_now(article["id"])
    [first] = receive(aws)
    make_visible(aws, [first])  # SQS delivers it again before the first delivery was deleted
    [again] = receive(aws)
    assert again["MessageId"] == first["MessageId"] and again["Attributes"]["ApproximateReceiveCount"] == "2"
    writes: list[tuple[str, str]] = []
    worker = PublishWorker(factory=observed(writes))

    replies = [invoke_worker(aws, [first], worker), invoke_worker(aws, [again], worker)]

    assert [reply["batchItemFailures"] for reply in replies] == [[], []]
    post = the_post(wordpress, article["slug"])
    assert writes == [("create", str(post["id"]))]  # the duplicate never reached WordPress
    published = api("GET", f"/publisher/records/{record['id']}/")
    assert (published["status"], published["attempts"]) == ("published", 1)
    assert published["external_id"] == str(post["id"])
    assert receive(aws) == []


@pytest.mark.filterwarnings("ignore:No application metrics to publish")  # the crashed invocation's
def test_given_a_crash_after_wordpress_created_the_post_then_the_redelivery_finds_it_and_no_second_post(
    aws: Any, wordpress: WordPressSite, article: dict[str, Any]
) -> None:
    record = publish_now(article["id"])
    messages = receive(aws)
    writes: list[tuple[str, str]] = []
    with pytest.raises(SimulatedCrash):
        invoke_worker(aws, messages, PublishWorker(factory=observed(writes, crash_after_create=True)))
    [(operation, orphan_id)] = writes
    assert operation == "create"
    assert api("GET", f"/publisher/records/{record['id']}/")["status"] == "publishing"

    make_visible(aws, messages)  # SQS redelivers once the visibility timeout has passed,
    later = datetime.now(UTC) + timedelta(seconds=360)  # which is longer than the claim's lease
    assert later - datetime.now(UTC) > CLAIM_LEASE
    run_worker(aws, PublishWorker(factory=observed(writes), clock=lambda: later))

    assert writes == [("create", orphan_id), ("update", orphan_id)]  # found by its slug
    post = the_post(wordpress, article["slug"])
    assert str(post["id"]) == orphan_id and post["status"] == "publish"
    published = api("GET", f"/publisher/records/{record['id']}/")
    assert (published["status"], published["attempts"], published["external_id"]) == (
        "published",
        2,
        orphan_id,
    )
    assert api("GET", f"/content/{article['id']}/")["site_status"] == "published"


# --- retract ---------------------------------------------------------------------------------


def test_given_a_published_post_when_retracted_through_the_api_then_it_is_trashed_and_the_record_retracted(
    aws: Any, wordpress: WordPressSite, article: dict[str, Any]
) -> None:
    record = publish_now(article["id"])
    run_worker(aws)
    post_id = the_post(wordpress, article["slug"])["id"]

    retracted = api("POST", f"/publisher/records/{record['id']}/retract/")

    assert retracted["status"] == "retracted" and retracted["metadata"]["retracted_at"]
    trashed = wordpress.rest("GET", f"wp/v2/posts/{post_id}", context="edit")
    assert trashed["status"] == "trash"
    assert wordpress.rest("GET", "wp/v2/posts", slug=article["slug"]) == []  # gone from the public site
    status = publish_status(article["id"])
    assert [(r["id"], r["status"]) for r in status["records"]] == [(record["id"], "retracted")]


def test_given_a_retracted_post_when_published_again_then_the_trashed_post_is_restored_not_duplicated(
    aws: Any, wordpress: WordPressSite, article: dict[str, Any]
) -> None:
    first = publish_now(article["id"])
    run_worker(aws)
    api("POST", f"/publisher/records/{first['id']}/retract/")
    post_id = the_post(wordpress, article["slug"])["id"]

    assert api("GET", f"/content/{article['id']}/")["site_status"] == "not_published"  # nothing online
    second = publish_now(article["id"], status="retracted")
    run_worker(aws)

    post = the_post(wordpress, article["slug"])
    assert post["id"] == post_id and post["status"] == "publish" and post["slug"] == article["slug"]
    [record] = publish_status(article["id"])["records"]
    assert second["id"] == first["id"] == record["id"] and record["status"] == "published"
    assert record["external_id"] == str(post_id)
    assert outcomes(record["id"]) == ["published", "retracted", "published"]
