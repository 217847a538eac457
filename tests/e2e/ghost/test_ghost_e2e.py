"""The Ghost adapter against a real Ghost 5 (see conftest.py): every call is real HTTP."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from publisher.destinations.base import Article, PermanentDestinationError, RetryableDestinationError
from publisher.destinations.ghost import GhostDestination
from publisher.destinations.http import build_session

pytestmark = pytest.mark.e2e

RED, BLUE, GREEN = (200, 30, 30), (30, 30, 200), (30, 160, 60)


def article(slug: str, **overrides: Any) -> Article:
    fields: dict[str, Any] = {
        "content_id": f"content-{slug}",
        "slug": slug,
        "title": "Hello from Publisher",
        "html": "<p>First version.</p>",
        "excerpt": "A short summary.",
    }
    return Article(**{**fields, **overrides})


# --- verify -------------------------------------------------------------------------------


def test_given_the_integration_key_when_verifying_then_ghost_and_its_site_are_named(
    ghost: GhostDestination,
) -> None:
    result = ghost.verify()

    assert result.ok, result.message
    assert "Publisher E2E" in result.message
    assert str(result.details["version"]).startswith("5.")


def test_given_a_wrong_secret_when_verifying_then_a_readable_failure_names_the_rejection(
    ghost_integration: dict[str, dict[str, Any]],
) -> None:
    key_id = ghost_integration["credentials"]["admin_api_key"].split(":")[0]
    wrong_secret = "ab" * 32
    destination = GhostDestination(ghost_integration["config"], {"admin_api_key": f"{key_id}:{wrong_secret}"})

    result = destination.verify()

    assert not result.ok
    assert "credentials rejected" in result.message
    assert "HTTP 401" in result.message
    assert "UnauthorizedError" in result.message
    assert wrong_secret not in result.message


def test_given_a_key_id_ghost_does_not_know_when_verifying_then_it_fails_readably(
    ghost_integration: dict[str, dict[str, Any]],
) -> None:
    destination = GhostDestination(ghost_integration["config"], {"admin_api_key": f"{'0' * 24}:{'cd' * 32}"})

    result = destination.verify()

    assert not result.ok
    assert "Checking the Ghost Admin API key failed" in result.message


# --- create -------------------------------------------------------------------------------


def test_given_tags_categories_and_images_when_created_then_ghost_holds_them_all(
    ghost: GhostDestination, ghost_admin: Any, image_server: Any, unique_slug: str
) -> None:
    feature_url, inline_url = image_server.add(RED), image_server.add(BLUE)
    source = article(
        unique_slug,
        html=(
            f'<p>Look:</p><figure><img src="{inline_url}" alt="blue"></figure>'
            f'<p>Again <img src="{inline_url}"></p>'
        ),
        categories=("News",),
        tags=("Python", "news", "Serverless"),
        featured_image_url=feature_url,
    )

    remote = ghost.create(source)

    post = ghost_admin.read("posts", remote.external_id)
    assert post["status"] == "published"
    assert post["slug"] == unique_slug
    assert post["title"] == source.title
    assert post["custom_excerpt"] == source.excerpt
    assert [tag["name"] for tag in post["tags"]] == ["News", "Python", "Serverless"]
    images = f"{ghost_admin.admin_url}/content/images/"
    assert post["feature_image"].startswith(images)
    assert inline_url not in post["html"]
    assert post["html"].count(images) == 2
    assert image_server.hits[feature_url.removeprefix(image_server.base)] == 1
    assert image_server.hits[inline_url.removeprefix(image_server.base)] == 1  # uploaded once, used twice
    served = requests.get(post["feature_image"], timeout=30)
    assert served.status_code == 200
    assert served.headers["Content-Type"].startswith("image/")
    assert remote.external_url == post["url"]
    assert remote.slug == unique_slug


def test_given_a_title_ghost_refuses_when_created_then_ghost_message_and_type_are_surfaced(
    ghost: GhostDestination, unique_slug: str
) -> None:
    with pytest.raises(PermanentDestinationError) as caught:
        ghost.create(article(unique_slug, title="x" * 300))

    message = str(caught.value)
    assert message.startswith("Creating the Ghost post failed")
    assert "HTTP 422" in message
    assert "title" in message
    assert "[Ghost ValidationError]" in message


# --- find, update, collisions -------------------------------------------------------------


def test_given_a_post_when_found_by_slug_then_it_is_that_post_and_unknown_slugs_are_none(
    ghost: GhostDestination, unique_slug: str
) -> None:
    created = ghost.create(article(unique_slug))

    found = ghost.find_by_slug(unique_slug)

    assert found is not None
    assert found.external_id == created.external_id
    assert found.metadata["status"] == "published"
    assert ghost.find_by_slug(f"{unique_slug}-missing") is None


def test_given_a_post_when_updated_then_content_tags_and_image_are_replaced_in_place(
    ghost: GhostDestination, ghost_admin: Any, image_server: Any, unique_slug: str
) -> None:
    created = ghost.create(article(unique_slug, tags=("Old",), featured_image_url=image_server.add(RED)))

    updated = ghost.update(
        created.external_id,
        article(unique_slug, title="Second title", html="<p>Second version.</p>", tags=("New",), excerpt=""),
    )

    post = ghost_admin.read("posts", created.external_id)
    assert updated.external_id == created.external_id
    assert post["title"] == "Second title"
    assert "Second version." in post["html"]
    assert [tag["name"] for tag in post["tags"]] == ["New"]
    assert post["feature_image"] is None
    assert post["custom_excerpt"] is None
    assert post["status"] == "published"


def concurrent_editor(ghost_admin: Any, post_id: str, *, edits: int, seen: list[tuple[str, int]]) -> Any:
    """A response hook: after each of the adapter's first `edits` reads, someone saves the post."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        method = response.request.method or ""
        seen.append((method, response.status_code))
        if method != "GET" or sum(m == "GET" for m, _ in seen) > edits:
            return
        read_at = response.json()["posts"][0]["updated_at"]
        # Ghost keeps updated_at to the second: edit until the stored value really moved on.
        for attempt in range(10):
            if ghost_admin.edit_title("posts", post_id, f"Concurrent edit {attempt}") != read_at:
                return
            time.sleep(0.25)

    return hook


@pytest.fixture
def hooked(ghost_integration: dict[str, dict[str, Any]]) -> tuple[GhostDestination, Any]:
    """An adapter on a real guarded session whose response hooks the test can add to."""
    session = build_session(allow_insecure_http=True)
    destination = GhostDestination(
        ghost_integration["config"], ghost_integration["credentials"], session=session
    )
    return destination, session


def test_given_someone_edits_between_read_and_write_when_updating_then_the_update_still_wins(
    hooked: tuple[GhostDestination, Any], ghost_admin: Any, unique_slug: str
) -> None:
    """The adapter reads updated_at, a concurrent editor saves, Ghost answers 409; we recover."""
    destination, session = hooked
    created = destination.create(article(unique_slug))
    seen: list[tuple[str, int]] = []
    session.hooks["response"].append(concurrent_editor(ghost_admin, created.external_id, edits=1, seen=seen))

    destination.update(created.external_id, article(unique_slug, title="Publisher's edit"))

    assert seen == [("GET", 200), ("PUT", 409), ("GET", 200), ("PUT", 200)]
    assert ghost_admin.read("posts", created.external_id)["title"] == "Publisher's edit"


def test_given_someone_keeps_editing_when_updating_then_a_retryable_error_says_so(
    hooked: tuple[GhostDestination, Any], ghost_admin: Any, unique_slug: str
) -> None:
    destination, session = hooked
    created = destination.create(article(unique_slug))
    seen: list[tuple[str, int]] = []
    session.hooks["response"].append(concurrent_editor(ghost_admin, created.external_id, edits=3, seen=seen))

    with pytest.raises(RetryableDestinationError, match="someone kept editing the post"):
        destination.update(created.external_id, article(unique_slug, title="Publisher's edit"))

    assert seen == [("GET", 200), ("PUT", 409)] * 3
    assert ghost_admin.read("posts", created.external_id)["title"].startswith("Concurrent edit")


def test_given_images_already_in_ghost_when_republished_then_they_are_not_uploaded_again(
    ghost: GhostDestination, ghost_admin: Any, image_server: Any, unique_slug: str
) -> None:
    created = ghost.create(article(unique_slug, featured_image_url=image_server.add(GREEN)))
    hosted = ghost_admin.read("posts", created.external_id)["feature_image"]

    ghost.update(
        created.external_id,
        article(unique_slug, featured_image_url=hosted, html=f'<p><img src="{hosted}" alt="again"></p>'),
    )

    post = ghost_admin.read("posts", created.external_id)
    assert post["feature_image"] == hosted
    assert f'src="{hosted}"' in post["html"]


# --- retract and exactly-once publish -----------------------------------------------------


def test_given_a_published_post_when_retracted_then_it_is_a_draft_still_found_by_slug(
    ghost: GhostDestination, ghost_admin: Any, unique_slug: str
) -> None:
    created = ghost.create(article(unique_slug))

    ghost.retract(created.external_id)

    assert ghost_admin.read("posts", created.external_id)["status"] == "draft"
    found = ghost.find_by_slug(unique_slug)
    assert found is not None
    assert found.external_id == created.external_id
    assert found.metadata["status"] == "draft"


def test_given_a_retracted_post_when_published_again_then_the_same_post_is_live_again(
    ghost: GhostDestination, ghost_admin: Any, unique_slug: str
) -> None:
    created = ghost.create(article(unique_slug))
    ghost.retract(created.external_id)

    republished = ghost.publish(article(unique_slug, title="Back again"))

    assert republished.external_id == created.external_id
    post = ghost_admin.read("posts", created.external_id)
    assert (post["status"], post["title"]) == ("published", "Back again")
    assert len(ghost_admin.with_slug("posts", unique_slug)) == 1


def test_given_a_duplicate_delivery_when_published_twice_then_ghost_has_one_post(
    ghost: GhostDestination, ghost_admin: Any, unique_slug: str
) -> None:
    first = ghost.publish(article(unique_slug))
    second = ghost.publish(article(unique_slug, html="<p>Redelivered.</p>"))

    assert second.external_id == first.external_id
    posts = ghost_admin.with_slug("posts", unique_slug)
    assert [post["id"] for post in posts] == [first.external_id]
    assert "Redelivered." in ghost_admin.read("posts", first.external_id)["html"]


def test_given_a_deleted_post_when_retracted_then_nothing_is_left_to_take_down(
    ghost: GhostDestination, ghost_admin: Any, unique_slug: str
) -> None:
    created = ghost.create(article(unique_slug))
    assert ghost_admin.delete("posts", created.external_id) == 204

    ghost.retract(created.external_id)

    assert ghost.find_by_slug(unique_slug) is None


# --- pages --------------------------------------------------------------------------------


def test_given_a_page_article_when_published_updated_and_retracted_then_ghost_pages_are_used(
    ghost: GhostDestination, ghost_admin: Any, unique_slug: str
) -> None:
    page = article(unique_slug, content_type="page", title="About us", tags=("Company",))

    created = ghost.publish(page)
    updated = ghost.publish(
        article(unique_slug, content_type="page", title="About us, again", tags=("Company",))
    )

    assert created.metadata["resource"] == "pages"
    assert updated.external_id == created.external_id
    assert ghost.find_by_slug(unique_slug, "post") is None
    stored = ghost_admin.read("pages", created.external_id)
    assert (stored["title"], stored["status"]) == ("About us, again", "published")
    assert [tag["name"] for tag in stored["tags"]] == ["Company"]

    ghost.retract(created.external_id)

    assert ghost_admin.read("pages", created.external_id)["status"] == "draft"
