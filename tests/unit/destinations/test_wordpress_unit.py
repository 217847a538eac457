"""Unit tests of the WordPress adapter's own logic: URL forms, image rewriting, term and post
matching, post-type resolution. Behaviour against a real WordPress is in tests/e2e/wordpress."""

from __future__ import annotations

import json

import pytest
import requests

from publisher.destinations.base import PermanentDestinationError
from publisher.destinations.wordpress import (
    PostType,
    WordPressDestination,
    image_sources,
    is_foreign_image,
    matching_term_id,
    media_slug,
    pick_by_slug,
    post_types_from,
    resolve_post_type,
    rest_url,
    rewrite_image_sources,
    site_root,
    wordpress_error,
)
from tests.support.loopback import Reply, loopback_server


@pytest.mark.parametrize(
    ("pasted", "root"),
    [
        ("https://example.com", "https://example.com"),
        ("https://example.com/", "https://example.com"),
        ("  https://example.com/blog/  ", "https://example.com/blog"),
        ("https://example.com/wp-json/", "https://example.com"),
        ("https://example.com/blog/wp-admin/", "https://example.com/blog"),
        ("https://example.com/?rest_route=/", "https://example.com"),
        ("http://127.0.0.1:8080/index.php", "http://127.0.0.1:8080"),
    ],
)
def test_given_a_pasted_base_url_when_normalised_then_the_site_root_remains(pasted: str, root: str) -> None:
    assert site_root(pasted) == root


@pytest.mark.parametrize("pasted", ["", "example.com", "ftp://example.com", "https://"])
def test_given_no_absolute_http_url_when_normalised_then_a_readable_permanent_error(pasted: str) -> None:
    with pytest.raises(PermanentDestinationError, match="absolute URL"):
        site_root(pasted)


def test_given_the_pretty_style_when_building_a_url_then_the_route_follows_wp_json() -> None:
    url = rest_url(
        "https://example.com/blog", "wp/v2/posts", "pretty", {"slug": "a,b", "status": "any,trash"}
    )

    assert url == "https://example.com/blog/wp-json/wp/v2/posts?slug=a,b&status=any,trash"


def test_given_the_query_style_when_building_a_url_then_the_route_is_the_rest_route_parameter() -> None:
    url = rest_url("https://example.com/blog", "/wp/v2/posts/7/", "query", {"context": "edit"})

    assert url == "https://example.com/blog/?rest_route=/wp/v2/posts/7&context=edit"


def test_given_parameters_with_reserved_characters_when_building_a_url_then_they_are_encoded() -> None:
    url = rest_url("https://example.com", "wp/v2/categories", "query", {"search": "News & Views"})

    assert url == "https://example.com/?rest_route=/wp/v2/categories&search=News+%26+Views"


def test_given_an_image_url_when_deriving_its_media_slug_then_it_is_stable_and_distinct() -> None:
    first = media_slug("https://cdn.example.com/a.png")

    assert first == media_slug("https://cdn.example.com/a.png")
    assert first != media_slug("https://cdn.example.com/b.png")
    assert first.startswith("publisher-img-")
    assert first == first.lower() and all(c.isalnum() or c == "-" for c in first)


HTML = (
    '<p>x</p><img alt="a" src="https://cdn.example.com/a.png?w=1&amp;h=2">'
    "<img src='https://cdn.example.com/b.png' data-src=\"https://other.example/c.png\">"
    '<IMG SRC="https://cdn.example.com/a.png?w=1&amp;h=2" class="again">'
)


def test_given_html_with_images_when_listing_sources_then_each_url_once_in_order_and_decoded() -> None:
    assert image_sources(HTML) == ["https://cdn.example.com/a.png?w=1&h=2", "https://cdn.example.com/b.png"]


def test_given_new_urls_when_rewriting_then_every_matching_src_points_at_the_copy() -> None:
    rewritten = rewrite_image_sources(
        HTML, {"https://cdn.example.com/a.png?w=1&h=2": "https://wp.example/up/a.png?v=1&x=2"}
    )

    assert 'alt="a" src="https://wp.example/up/a.png?v=1&amp;x=2"' in rewritten
    assert 'SRC="https://wp.example/up/a.png?v=1&amp;x=2" class="again"' in rewritten
    assert "src='https://cdn.example.com/b.png'" in rewritten  # not in the mapping: untouched
    assert 'data-src="https://other.example/c.png"' in rewritten
    assert 'alt="a"' in rewritten and 'class="again"' in rewritten


@pytest.mark.parametrize(
    ("url", "foreign"),
    [
        ("https://cdn.example.com/a.png", True),
        ("http://blog.example.com:8080/a.png", True),
        ("https://blog.example.com/wp-content/uploads/a.png", False),
        ("https://BLOG.example.com/a.png", False),
        ("data:image/png;base64,AAAA", False),
        ("/relative.png", False),
    ],
)
def test_given_an_inline_image_when_deciding_to_copy_then_only_other_hosts_http_images(
    url: str, foreign: bool
) -> None:
    assert is_foreign_image(url, "blog.example.com") is foreign


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [("News & Views", 2), ("news & views", 2), ("news-views", 2), ("Newsletters", None), ("Tech", 3)],
)
def test_given_terms_as_wordpress_returns_them_when_matching_then_names_compare_unescaped(
    wanted: str, expected: int | None
) -> None:
    terms = [
        {"id": 1, "name": "News", "slug": "news"},
        {"id": 2, "name": "News &amp; Views", "slug": "news-views"},
        {"id": 3, "name": "tech", "slug": "tech"},
    ]

    assert matching_term_id(terms, wanted) == expected


def test_given_a_live_and_a_trashed_post_when_picking_by_slug_then_the_live_one_wins() -> None:
    posts = [
        {"id": 3, "slug": "hello__trashed", "status": "trash"},
        {"id": 9, "slug": "hello", "status": "draft"},
        {"id": 5, "slug": "hello-2", "status": "publish"},
    ]

    assert pick_by_slug(posts, "hello") == posts[1]


def test_given_only_a_trashed_post_when_picking_by_slug_then_it_is_found_for_restoring() -> None:
    posts = [{"id": 3, "slug": "hello__trashed", "status": "trash"}]

    assert pick_by_slug(posts, "hello") == posts[0]
    assert pick_by_slug(posts, "other") is None


TYPES = post_types_from(
    {
        "post": {"slug": "post", "rest_base": "posts", "taxonomies": ["category", "post_tag"]},
        "page": {"slug": "page", "rest_base": "pages", "taxonomies": []},
        "book": {"slug": "book", "rest_base": "books", "rest_namespace": "shop/v1", "taxonomies": []},
        "hidden": {"slug": "hidden", "rest_base": False},
    }
)


def test_given_the_types_answer_when_parsed_then_routes_use_each_namespace_and_base() -> None:
    assert {
        "post": PostType("post", "wp/v2/posts", frozenset({"category", "post_tag"})),
        "page": PostType("page", "wp/v2/pages", frozenset()),
        "book": PostType("book", "shop/v1/books", frozenset()),
    } == TYPES


@pytest.mark.parametrize(
    ("content_type", "configured", "route"),
    [
        ("post", "post", "wp/v2/posts"),
        ("post", "book", "shop/v1/books"),  # the site receives its posts as a custom type
        ("page", "book", "wp/v2/pages"),
        ("books", "post", "shop/v1/books"),  # the REST base names the type too
    ],
)
def test_given_a_content_type_when_resolving_then_the_matching_route(
    content_type: str, configured: str, route: str
) -> None:
    assert resolve_post_type(TYPES, content_type, configured).route == route


def test_given_an_unknown_content_type_when_resolving_then_the_error_lists_the_known_types() -> None:
    with pytest.raises(PermanentDestinationError, match=r"no post type 'recipe'.*book, page, post"):
        resolve_post_type(TYPES, "recipe", "post")


JSON = {"Content-Type": "application/json"}


def _response(status: int, body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    return response


def test_given_a_wordpress_error_body_when_parsed_then_code_and_unescaped_message() -> None:
    body = {"code": "term_exists", "message": "A term &amp; more", "data": {"status": 400, "term_id": 2}}

    assert wordpress_error(_response(400, json.dumps(body).encode())) == ("term_exists", "A term & more")


@pytest.mark.parametrize("body", [b"<html>Error</html>", b"[1, 2]", b""])
def test_given_a_body_that_is_not_a_wordpress_error_when_parsed_then_empty(body: bytes) -> None:
    assert wordpress_error(_response(500, body)) == ("", "")


def test_given_a_site_that_redirects_rest_calls_when_verifying_then_it_asks_for_the_right_base_url() -> None:
    types = {"post": {"slug": "post", "rest_base": "posts", "taxonomies": []}}
    with loopback_server() as server:
        server.route("GET", "/wp-json/wp/v2/types", Reply(200, JSON, json.dumps(types).encode()))
        server.route(
            "GET", "/wp-json/wp/v2/users/me", Reply(301, {"Location": "/new/wp-json/wp/v2/users/me"})
        )
        server.route("GET", "/new/wp-json/wp/v2/users/me", Reply(200, JSON, b'{"id": 1, "name": "x"}'))
        destination = WordPressDestination(
            {"base_url": server.url, "allow_insecure_http": True},
            {"username": "editor", "application_password": "abcd efgh ijkl mnop"},
        )

        result = destination.verify()

    assert not result.ok
    assert result.message == (
        f"WordPress redirected the request to {server.url}/new/wp-json/wp/v2/users/me; "
        "set base_url to the address the site answers at."
    )
