"""Content → Article: sanitising per destination, URLs, excerpts, slugs and the republish hash."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.domain.transform import (
    content_hash,
    derive_excerpt,
    html_to_text,
    sanitize_html,
    to_article,
)

CONTENT = {
    "id": "01JCONTENT0000000000000001",
    "title": "  Hello   World ",
    "html": '<p>Read <a href="/about/">about us</a>.</p><script>steal()</script><img src="img/a.png">',
    "excerpt": "",
    "slug": "hello-world",
    "content_type": "post",
    "categories": ["News", " News ", "Tech"],
    "tags": ["b", "", "a"],
    "featured_image_url": "/media/cover.jpg",
    "status": "approved",
}


# --- sanitize_html ------------------------------------------------------------------------


@pytest.mark.parametrize("destination", ["wordpress", "ghost", "webflow", "webhook", "s3"])
def test_given_hostile_markup_when_sanitized_then_scripts_handlers_and_js_urls_are_gone(
    destination: str,
) -> None:
    hostile = (
        '<p onclick="steal()">Hi<script>steal()</script></p>'
        '<a href="javascript:steal()">x</a><img src="data:image/png;base64,AAAA" onerror="steal()">'
        '<iframe src="https://evil.example/"></iframe><style>p{display:none}</style>'
    )

    clean = sanitize_html(hostile, destination)

    assert "steal" not in clean
    assert "javascript" not in clean
    assert "data:" not in clean
    assert "<iframe" not in clean
    assert "display:none" not in clean
    assert clean.startswith("<p>Hi</p>")


def test_given_a_cms_destination_then_rich_markup_and_editor_classes_survive() -> None:
    rich = (
        '<figure class="wp-block-image"><img src="https://cdn.example.com/a.png" alt="A">'
        "<figcaption>Cap</figcaption></figure><dl><dt>T</dt><dd>D</dd></dl><mark>m</mark>"
    )

    assert sanitize_html(rich, "wordpress") == rich


def test_given_the_conservative_destinations_then_classes_and_rare_tags_are_dropped_but_text_kept() -> None:
    clean = sanitize_html('<figure class="wp-block-image"><mark>m</mark></figure><dl><dt>T</dt></dl>', "s3")

    assert clean == "<figure>m</figure>T"


def test_given_a_site_url_then_relative_links_and_images_become_absolute_and_anchors_stay() -> None:
    html = (
        '<a href="/about/">a</a><a href="#notes">n</a><img src="img/a.png">'
        '<a href="//cdn.example.com/x">c</a>'
    )

    clean = sanitize_html(html, "ghost", site_url="https://example.com/blog")

    assert 'href="https://example.com/about/"' in clean
    assert 'href="#notes"' in clean
    assert 'src="https://example.com/blog/img/a.png"' in clean
    assert 'href="https://cdn.example.com/x"' in clean


def test_given_no_site_url_then_relative_links_are_kept_as_written() -> None:
    assert sanitize_html('<a href="/about/">a</a>', "webhook") == (
        '<a href="/about/" rel="noopener noreferrer">a</a>'
    )


class _Inspector(HTMLParser):
    """Collects every tag and attribute the sanitizer emitted."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


_FRAGMENTS = st.sampled_from(
    [
        "<script>",
        "</script>",
        "<scr",
        "ipt>",
        "<img src=x onerror=alert(1)>",
        "<a href='javascript:alert(1)'>",
        '<a href="  JaVaScRiPt:alert(1)">',
        "<svg onload=alert(1)>",
        "<p ",
        "onmouseover=",
        '"',
        "'",
        ">",
        "<",
        "/",
        "=",
        " ",
        "<div style='x'>",
        "<body onload=x>",
        "<!--",
        "-->",
        "<![CDATA[",
        "&lt;script&gt;",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.one_of(_FRAGMENTS, st.text(max_size=8)), max_size=30),
    destination=st.sampled_from(["wordpress", "ghost", "webflow", "webhook", "s3"]),
)
def test_property_sanitized_html_never_contains_scripts_handlers_or_js_urls(
    pieces: list[str], destination: str
) -> None:
    clean = sanitize_html("".join(pieces), destination, site_url="https://example.com")

    inspector = _Inspector()
    inspector.feed(clean)
    inspector.close()
    assert "<script" not in clean.lower()
    assert "script" not in inspector.tags
    assert not [name for name, _ in inspector.attributes if name.startswith("on")]
    for name, value in inspector.attributes:
        if name in ("href", "src"):
            assert re.match(r"(https?:|mailto:|tel:|#)", value.strip(), re.IGNORECASE), value


# --- text and excerpts --------------------------------------------------------------------


def test_given_html_then_text_has_block_gaps_decoded_entities_and_no_script_text() -> None:
    html = "<h2>Title</h2><p>Tom &amp; Jerry<br>run</p><script>var x = 1;</script><p>  end </p>"

    assert html_to_text(html) == "Title Tom & Jerry run end"


def test_given_short_text_then_the_excerpt_is_the_whole_text() -> None:
    assert derive_excerpt("<p>Short   and\nsweet.</p>") == "Short and sweet."


def test_given_long_text_then_the_excerpt_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    html = "<p>" + "alpha beta, gamma " * 20 + "</p>"

    excerpt = derive_excerpt(html, max_chars=30)

    assert excerpt == "alpha beta, gamma alpha beta\u2026"
    assert len(excerpt) <= 30


def test_given_one_long_word_then_the_excerpt_is_cut_inside_it() -> None:
    assert derive_excerpt("x" * 50, max_chars=10) == "x" * 9 + "\u2026"


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("ab c,."), max_size=300), limit=st.integers(2, 200))
def test_property_excerpts_fit_the_limit_and_start_the_text(text: str, limit: int) -> None:
    excerpt = derive_excerpt(text, max_chars=limit)
    full = " ".join(text.split())

    assert len(excerpt) <= limit
    assert full.startswith(excerpt.removesuffix("\u2026"))
    assert excerpt.endswith("\u2026") == (len(full) > limit)


# --- content_hash -------------------------------------------------------------------------


def test_given_the_same_content_in_another_key_order_then_the_hash_is_the_same() -> None:
    reordered = dict(reversed(list(CONTENT.items())))

    assert content_hash(reordered) == content_hash(CONTENT)
    assert re.fullmatch(r"[0-9a-f]{64}", content_hash(CONTENT))


def test_given_fields_that_do_not_change_the_post_then_the_hash_ignores_them() -> None:
    changed = {**CONTENT, "status": "published", "site_status": "scheduled", "updated_at": "2026-01-01"}

    assert content_hash(changed) == content_hash(CONTENT)


def test_given_missing_none_and_empty_values_then_they_hash_alike() -> None:
    base = {"id": "1", "title": "T", "html": "<p>x</p>"}

    assert content_hash({**base, "excerpt": None, "tags": None}) == content_hash(base)
    assert content_hash({**base, "excerpt": "", "tags": [], "content_type": "post"}) == content_hash(base)


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Hello World!"},
        {"html": "<p>other</p>"},
        {"excerpt": "new"},
        {"slug": "hello-world-2"},
        {"content_type": "page"},
        {"categories": ["News"]},
        {"tags": ["a", "b"]},
        {"featured_image_url": "/media/other.jpg"},
    ],
)
def test_given_a_published_field_changes_then_the_hash_changes(change: dict[str, object]) -> None:
    assert content_hash({**CONTENT, **change}) != content_hash(CONTENT)


def test_given_tags_in_another_order_then_the_hash_changes_because_order_is_meaningful() -> None:
    assert content_hash({**CONTENT, "tags": ["a", "b"]}) != content_hash({**CONTENT, "tags": ["b", "a"]})


# --- to_article ---------------------------------------------------------------------------


def test_given_content_then_to_article_builds_the_article_for_the_destination() -> None:
    article = to_article(CONTENT, destination="wordpress", site_url="https://example.com")

    assert article.content_id == CONTENT["id"]
    assert article.title == "Hello World"
    assert article.slug == "hello-world"
    assert article.html == (
        '<p>Read <a href="https://example.com/about/" rel="noopener noreferrer">about us</a>.</p>'
        '<img src="https://example.com/img/a.png">'
    )
    assert article.excerpt == "Read about us."
    assert article.categories == ("News", "Tech")
    assert article.tags == ("b", "a")
    assert article.featured_image_url == "https://example.com/media/cover.jpg"
    assert article.content_hash == content_hash(CONTENT)
    assert article.content_type == "post"


def test_given_an_excerpt_with_markup_then_the_article_excerpt_is_its_text() -> None:
    article = to_article({**CONTENT, "excerpt": "<b>Bold</b> claim"}, destination="ghost", site_url=None)

    assert article.excerpt == "Bold claim"


def test_given_no_slug_then_it_comes_from_the_title_and_else_from_the_id() -> None:
    from_title = to_article(
        {**CONTENT, "slug": None, "title": "Crème Brûlée!"}, destination="s3", site_url=None
    )
    from_id = to_article({**CONTENT, "slug": "", "title": "日本語"}, destination="s3", site_url=None)
    unicode_slug = to_article(
        {**CONTENT, "slug": "日本語", "title": "日本語"}, destination="s3", site_url=None
    )

    assert from_title.slug == "creme-brulee"
    assert from_id.slug == "01jcontent0000000000000001"
    assert unicode_slug.slug == "01jcontent0000000000000001"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("javascript:alert(1)", None),
        ("data:image/png;base64,AAAA", None),
        ("", None),
        ("https://cdn.example.com/a.png", "https://cdn.example.com/a.png"),
    ],
)
def test_given_a_featured_image_url_then_only_http_urls_are_kept(url: str, expected: str | None) -> None:
    article = to_article(
        {**CONTENT, "featured_image_url": url}, destination="ghost", site_url="https://example.com"
    )

    assert article.featured_image_url == expected
