"""The WordPress adapter against a real WordPress (REST API v2, Application Passwords).

Every assertion about the outcome reads WordPress directly through its REST API, not through
the adapter under test.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from publisher.destinations.base import Article, PermanentDestinationError
from publisher.destinations.wordpress import WordPressDestination, media_slug

if TYPE_CHECKING:
    from tests.e2e.wordpress.conftest import ImageHost, WordPressSite

pytestmark = pytest.mark.e2e


def unique_slug(name: str) -> str:
    """Slugs unique per run: the WordPress state survives between sessions."""
    return f"e2e-{name}-{uuid.uuid4().hex[:8]}"


def article(slug: str, **fields: object) -> Article:
    values: dict = {"content_id": f"content-{slug}", "slug": slug, "title": f"Title of {slug}"}
    values["html"] = "<p>Body text.</p>"
    values.update(fields)
    return Article(**values)


def posts_with_slug(site: WordPressSite, route: str, slug: str) -> list[dict]:
    return site.rest(
        "GET", f"wp/v2/{route}", slug=f"{slug},{slug}__trashed", status="any,trash", context="edit"
    )


def term_names(site: WordPressSite, taxonomy: str, ids: list[int]) -> set[str]:
    return {site.rest("GET", f"wp/v2/{taxonomy}/{term_id}")["name"] for term_id in ids}


# --- verify -----------------------------------------------------------------------------------


def test_given_a_valid_application_password_when_verifying_then_ok_names_the_user(
    wordpress: WordPressSite,
) -> None:
    result = wordpress.destination().verify()

    assert result.ok, result.message
    assert result.message.startswith("Connected as publisher (administrator)")
    assert result.details["roles"] == ["administrator"]


def test_given_a_wrong_application_password_when_verifying_then_a_readable_401(
    wordpress: WordPressSite,
) -> None:
    password = "abcd EFGH ijkl MNOP qrst UVWX"
    destination = WordPressDestination(
        wordpress.config(), wordpress.credentials(application_password=password)
    )

    result = destination.verify()

    assert not result.ok
    assert "WordPress rejected the application password for user 'publisher'" in result.message
    assert result.details["status"] == 401
    assert password not in result.message and "abcd" not in result.message


def test_given_a_wrong_password_when_creating_then_wordpress_code_and_message_without_the_secret(
    wordpress: WordPressSite,
) -> None:
    password = "wrongpassword0123456789x"
    destination = WordPressDestination(
        wordpress.config(), wordpress.credentials(application_password=password)
    )

    with pytest.raises(PermanentDestinationError) as caught:
        destination.create(article(unique_slug("denied")))

    text = str(caught.value)
    assert "rest_cannot_create" in text and "not allowed to create posts" in text
    assert "HTTP 401" in text
    assert password not in text


# --- creating -------------------------------------------------------------------------------


def test_given_images_and_terms_when_publishing_then_wordpress_holds_copies_terms_and_slug(
    wordpress: WordPressSite, images: ImageHost
) -> None:
    featured, inline = images.add("featured"), images.add("inline")
    slug = unique_slug("full")
    html = (
        f'<p>Intro</p><figure><img src="{inline}" alt="inline"></figure>'
        f'<p>Again</p><img src="{inline}"><img src="{featured}" alt="featured too">'
    )
    piece = article(
        slug,
        html=html,
        excerpt="A short summary.",
        featured_image_url=featured,
        categories=("E2E News & Views", "E2E Guides"),
        tags=("e2e-python", "E2E Serverless"),
    )

    remote = wordpress.destination().publish(piece)

    post = wordpress.rest("GET", f"wp/v2/posts/{remote.external_id}", context="edit")
    assert post["slug"] == slug and post["status"] == "publish"
    assert post["title"]["raw"] == f"Title of {slug}"
    assert post["excerpt"]["raw"] == "A short summary."
    assert remote.external_url == post["link"]
    featured_copy = wordpress.rest("GET", f"wp/v2/media/{post['featured_media']}", context="edit")
    assert featured_copy["mime_type"] == "image/png" and featured_copy["slug"] == media_slug(featured)
    assert featured_copy["source_url"].startswith(f"{wordpress.base_url}/wp-content/uploads/")
    [inline_copy] = wordpress.rest("GET", "wp/v2/media", slug=media_slug(inline))
    content = post["content"]["raw"]
    assert images.server.url not in content  # every image now points into WordPress
    assert content.count(f'src="{inline_copy["source_url"]}"') == 2
    assert content.count(f'src="{featured_copy["source_url"]}"') == 1  # the featured one, also inline
    assert images.downloads(inline) == 1 and images.downloads(featured) == 1  # once per publish
    assert all("Authorization" not in r.headers for r in images.server.received)  # no credential leak
    assert term_names(wordpress, "categories", post["categories"]) == {"E2E News &amp; Views", "E2E Guides"}
    assert term_names(wordpress, "tags", post["tags"]) == {"e2e-python", "E2E Serverless"}


def test_given_the_same_article_delivered_twice_when_publishing_then_one_post_and_one_upload(
    wordpress: WordPressSite, images: ImageHost
) -> None:
    picture = images.add("twice")
    slug = unique_slug("twice")
    piece = article(slug, html=f'<img src="{picture}">', featured_image_url=picture, categories=("E2E Once",))

    first = wordpress.destination().publish(piece)
    second = wordpress.destination().publish(piece)  # a redelivered message: a fresh adapter

    assert second.external_id == first.external_id
    assert [p["id"] for p in posts_with_slug(wordpress, "posts", slug)] == [int(first.external_id)]
    assert images.downloads(picture) == 1  # the second publish found the copy by its slug
    assert len(wordpress.rest("GET", "wp/v2/categories", slug="e2e-once")) == 1


def test_given_a_page_when_publishing_then_it_is_a_wordpress_page_without_terms(
    wordpress: WordPressSite,
) -> None:
    slug = unique_slug("page")

    remote = wordpress.destination().publish(article(slug, content_type="page", categories=("E2E Ignored",)))

    page = wordpress.rest("GET", f"wp/v2/pages/{remote.external_id}", context="edit")
    assert page["slug"] == slug and page["status"] == "publish" and page["type"] == "page"
    assert wordpress.rest("GET", "wp/v2/categories", slug="e2e-ignored") == []  # pages have none


def test_given_a_custom_post_type_when_publishing_then_its_own_rest_base_is_used(
    wordpress: WordPressSite,
) -> None:
    slug = unique_slug("book")
    destination = wordpress.destination()

    remote = destination.publish(article(slug, content_type="book", tags=("e2e-books",)))

    book = wordpress.rest("GET", f"wp/v2/books/{remote.external_id}", context="edit")
    assert book["type"] == "book" and book["slug"] == slug
    assert term_names(wordpress, "tags", book["tags"]) == {"e2e-books"}
    assert destination.find_by_slug(slug, "book").external_id == remote.external_id


def test_given_posts_configured_as_a_custom_type_when_publishing_a_post_then_it_becomes_that_type(
    wordpress: WordPressSite,
) -> None:
    slug = unique_slug("as-book")

    remote = wordpress.destination(post_type="book").publish(article(slug))

    assert wordpress.rest("GET", f"wp/v2/books/{remote.external_id}")["slug"] == slug


def test_given_an_unknown_content_type_when_publishing_then_a_permanent_error_lists_the_types(
    wordpress: WordPressSite,
) -> None:
    with pytest.raises(PermanentDestinationError, match=r"no post type 'recipe'.*book, page, post"):
        wordpress.destination().publish(article(unique_slug("recipe"), content_type="recipe"))


def test_given_a_draft_publish_status_when_creating_then_the_post_stays_a_draft(
    wordpress: WordPressSite,
) -> None:
    remote = wordpress.destination(publish_status="draft").create(article(unique_slug("draft")))

    assert wordpress.rest("GET", f"wp/v2/posts/{remote.external_id}", context="edit")["status"] == "draft"


# --- updating, finding, retracting ----------------------------------------------------------


def test_given_a_published_post_when_updating_then_the_same_post_changes(wordpress: WordPressSite) -> None:
    slug = unique_slug("update")
    destination = wordpress.destination()
    created = destination.create(article(slug))

    updated = destination.publish(
        article(slug, title="New title", html="<p>New body</p>", tags=("e2e-updated",)), created.external_id
    )

    post = wordpress.rest("GET", f"wp/v2/posts/{created.external_id}", context="edit")
    assert updated.external_id == created.external_id
    assert post["title"]["raw"] == "New title" and post["content"]["raw"] == "<p>New body</p>"
    assert term_names(wordpress, "tags", post["tags"]) == {"e2e-updated"}
    assert len(posts_with_slug(wordpress, "posts", slug)) == 1


def test_given_posts_in_several_states_when_finding_by_slug_then_drafts_count_and_strangers_do_not(
    wordpress: WordPressSite,
) -> None:
    slug = unique_slug("find")
    destination = wordpress.destination()
    draft = wordpress.destination(publish_status="draft").create(article(slug))

    found = destination.find_by_slug(slug)

    assert found is not None and found.external_id == draft.external_id
    assert found.slug == slug and found.metadata["status"] == "draft"
    assert destination.find_by_slug(unique_slug("missing")) is None
    assert destination.find_by_slug(slug, "page") is None  # the slug belongs to a post, not a page


def test_given_a_retracted_post_when_publishing_again_then_it_is_restored_not_duplicated(
    wordpress: WordPressSite,
) -> None:
    slug = unique_slug("retract")
    destination = wordpress.destination()
    created = destination.publish(article(slug))

    destination.retract(created.external_id)

    trashed = wordpress.rest("GET", f"wp/v2/posts/{created.external_id}", context="edit")
    assert trashed["status"] == "trash"
    found = destination.find_by_slug(slug)
    assert found is not None and found.external_id == created.external_id
    destination.retract(created.external_id)  # retracting again is a no-op, not an error
    assert wordpress.rest("GET", f"wp/v2/posts/{created.external_id}", context="edit")["status"] == "trash"

    restored = wordpress.destination().publish(article(slug))

    post = wordpress.rest("GET", f"wp/v2/posts/{created.external_id}", context="edit")
    assert restored.external_id == created.external_id
    assert post["status"] == "publish" and post["slug"] == slug
    assert [p["id"] for p in posts_with_slug(wordpress, "posts", slug)] == [int(created.external_id)]


def test_given_a_page_when_retracting_by_id_alone_then_the_page_is_trashed(wordpress: WordPressSite) -> None:
    remote = wordpress.destination().publish(article(unique_slug("page-retract"), content_type="page"))

    wordpress.destination().retract(remote.external_id)

    assert wordpress.rest("GET", f"wp/v2/pages/{remote.external_id}", context="edit")["status"] == "trash"


def test_given_an_image_url_when_uploading_media_twice_then_one_copy_in_the_library(
    wordpress: WordPressSite, images: ImageHost
) -> None:
    picture = images.add("single")

    first = wordpress.destination().upload_media(picture)
    second = wordpress.destination().upload_media(picture)

    [copy] = wordpress.rest("GET", "wp/v2/media", slug=media_slug(picture))
    assert first == second == copy["source_url"]
    assert images.downloads(picture) == 1


# --- terms ------------------------------------------------------------------------------------


def test_given_a_term_its_name_search_misses_when_ensuring_then_term_exists_gives_its_id(
    wordpress: WordPressSite,
) -> None:
    name = f"E2E Q&A {uuid.uuid4().hex[:6]}"
    existing = wordpress.rest("POST", "wp/v2/categories", name=name)
    assert wordpress.rest("GET", "wp/v2/categories", search=name) == []  # stored as "Q&amp;A"

    ids = wordpress.destination().ensure_terms("categories", (name, name.upper()))

    assert ids == [existing["id"]]
    assert len(wordpress.rest("GET", "wp/v2/categories", slug=existing["slug"])) == 1


def test_given_existing_terms_when_ensuring_then_found_by_name_or_slug_without_creating(
    wordpress: WordPressSite,
) -> None:
    tag = wordpress.rest("POST", "wp/v2/tags", name=f"E2E Found {uuid.uuid4().hex[:6]}")
    before = len(wordpress.rest("GET", "wp/v2/tags", per_page=100, search="E2E Found"))

    ids = wordpress.destination().ensure_terms("tags", (tag["name"].lower(), tag["slug"]))

    assert ids == [tag["id"]]
    assert len(wordpress.rest("GET", "wp/v2/tags", per_page=100, search="E2E Found")) == before


# --- URL forms --------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["pretty", "query"])
def test_given_a_configured_route_style_when_publishing_then_that_url_form_works(
    wordpress: WordPressSite, style: str
) -> None:
    slug = unique_slug(style)
    destination = wordpress.destination(rest_route_style=style)

    remote = destination.publish(article(slug))

    assert destination.find_by_slug(slug).external_id == remote.external_id
    assert wordpress.rest("GET", f"wp/v2/posts/{remote.external_id}")["slug"] == slug


def test_given_pretty_permalinks_when_detecting_then_wp_json_is_used(wordpress: WordPressSite) -> None:
    result = wordpress.destination().verify()

    assert result.details["rest_route_style"] == "pretty"


def test_given_plain_permalinks_when_detecting_then_rest_route_is_used_and_publishing_works(
    plain_permalinks: WordPressSite,
) -> None:
    slug = unique_slug("plain")
    destination = plain_permalinks.destination()

    assert destination.verify().details["rest_route_style"] == "query"
    remote = destination.publish(article(slug))

    assert plain_permalinks.rest("GET", f"wp/v2/posts/{remote.external_id}")["slug"] == slug


def test_given_a_site_that_is_not_wordpress_when_verifying_then_a_readable_failure(
    images: ImageHost,
) -> None:
    destination = WordPressDestination(
        {"base_url": images.server.url, "allow_insecure_http": True},
        {"username": "publisher", "application_password": "x" * 24},
    )

    result = destination.verify()

    assert not result.ok
    assert "did not answer like a WordPress REST API" in result.message
