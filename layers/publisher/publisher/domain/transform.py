"""Content → Article: sanitise, absolutise URLs, derive excerpts, hash what gets published.

Pure functions, no AWS and no HTTP. Every adapter receives an `Article` built here, so HTML
safety and the republish hash are decided in one place for all destinations.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from types import MappingProxyType
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3

from publisher.domain.article import Article
from publisher.domain.text import slugify

# --- sanitising ----------------------------------------------------------------------------

_TEXT_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "div", "span", "strong", "b", "em",
        "i", "u", "s", "del", "ins", "sub", "sup", "code", "pre", "blockquote", "a", "img", "ul",
        "ol", "li", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip

# CMSs render rich text: headings, captions, definition lists, tables with captions, and the
# class names their editors use for alignment (wp-block-image, kg-card ...). No iframes: an
# embed is a script-capable document from a third party.
_RICH_TAGS = _TEXT_TAGS | frozenset(
    {
        "mark", "small", "kbd", "q", "cite", "abbr", "dl", "dt", "dd", "tfoot", "caption",
        "colgroup", "col",
    }
)  # fmt: skip

_TEXT_ATTRIBUTES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "a": frozenset({"href", "title"}),
        "img": frozenset({"src", "alt", "title", "width", "height"}),
        "th": frozenset({"colspan", "rowspan", "scope"}),
        "td": frozenset({"colspan", "rowspan"}),
        "ol": frozenset({"start"}),
    }
)
_RICH_ATTRIBUTES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        **_TEXT_ATTRIBUTES,
        "*": frozenset({"class"}),
        "a": frozenset({"href", "title", "hreflang"}),
        "img": frozenset({"src", "alt", "title", "width", "height", "loading"}),
        "ol": frozenset({"start", "reversed"}),
        "blockquote": frozenset({"cite"}),
        "q": frozenset({"cite"}),
        "abbr": frozenset({"title"}),
        "col": frozenset({"span"}),
        "colgroup": frozenset({"span"}),
    }
)

_ALLOWLISTS: Mapping[str, tuple[frozenset[str], Mapping[str, frozenset[str]]]] = MappingProxyType(
    {
        "wordpress": (_RICH_TAGS, _RICH_ATTRIBUTES),
        "ghost": (_RICH_TAGS, _RICH_ATTRIBUTES),
        "webflow": (_RICH_TAGS, _RICH_ATTRIBUTES),
        "webhook": (_TEXT_TAGS, _TEXT_ATTRIBUTES),
        "s3": (_TEXT_TAGS, _TEXT_ATTRIBUTES),
    }
)
# Tags removed together with everything inside them (the rest keep their text).
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "iframe", "noscript", "object"})
_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def sanitize_html(html: str, destination: str, *, site_url: str | None = None) -> str:
    """Keep only the destination's allowed markup; make relative links absolute to `site_url`.

    Scripts, event handler attributes and javascript:/data: URLs never survive. Unknown
    destinations get the conservative set used for webhook and s3.
    """
    tags, attributes = _ALLOWLISTS.get(destination, _ALLOWLISTS["webhook"])
    return nh3.clean(
        html or "",
        tags=set(tags),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in attributes.items()},
        url_schemes=set(_URL_SCHEMES),
        url_relative=(lambda url: absolute_url(url, site_url)) if site_url else None,
    ).strip()


def absolute_url(url: str, site_url: str | None) -> str:
    """`url` resolved against the site; in-page anchors (#id) stay as they are."""
    if not site_url or url.startswith("#"):
        return url
    base = site_url if site_url.endswith("/") else f"{site_url}/"
    return urljoin(base, url)


# --- text and excerpts ---------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        "p", "div", "br", "hr", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5",
        "h6", "blockquote", "pre", "figure", "figcaption", "table", "tr", "td", "th", "caption",
        "section", "article", "header", "footer", "aside", "nav",
    }
)  # fmt: skip


class _TextExtractor(HTMLParser):
    """Visible text of an HTML fragment; block boundaries become spaces."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_WITH_CONTENT:
            self._hidden_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_WITH_CONTENT:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Whitespace-collapsed visible text (no tags, entities decoded)."""
    extractor = _TextExtractor()
    extractor.feed(html or "")
    extractor.close()
    return " ".join("".join(extractor.parts).split())


def derive_excerpt(html: str, max_chars: int = 160) -> str:
    """A plain-text summary of at most `max_chars`, cut at a word boundary with an ellipsis."""
    text = html_to_text(html)
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    if " " in cut and text[max_chars - 1] != " ":
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-\u2013\u2014") + "\u2026"


# --- hashing -------------------------------------------------------------------------------

HASHED_FIELDS: tuple[str, ...] = (
    "title",
    "html",
    "excerpt",
    "slug",
    "content_type",
    "categories",
    "tags",
    "featured_image_url",
)


def content_hash(content: Mapping[str, Any]) -> str:
    """sha256 over what changes the published post; equal hashes mean "nothing to republish".

    Stable across key order and across missing/None/"" (all mean "no value"). The order of
    categories and tags is kept, not sorted: destinations give it meaning (Ghost's first tag
    is the primary tag), so reordering them is a change worth republishing.
    """
    canonical = {name: _hash_value(name, content.get(name)) for name in HASHED_FIELDS}
    encoded = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _hash_value(name: str, value: Any) -> Any:
    if name in ("categories", "tags"):
        return list(_clean_terms(value))
    if name == "content_type":
        return value or "post"
    return "" if value is None else str(value)


def _clean_terms(values: Iterable[Any] | None) -> tuple[str, ...]:
    """Trimmed, non-empty names, first occurrence kept, order as given."""
    names = (str(v).strip() for v in values or ())
    return tuple(dict.fromkeys(n for n in names if n))


# --- the article ---------------------------------------------------------------------------


def to_article(content: Mapping[str, Any], *, destination: str, site_url: str | None) -> Article:
    """The Article an adapter publishes for one API.md Content resource (as a dict)."""
    title = " ".join(str(content.get("title") or "").split())
    html = sanitize_html(str(content.get("html") or ""), destination, site_url=site_url)
    excerpt = html_to_text(str(content.get("excerpt") or "")) or derive_excerpt(html)
    slug = _article_slug(content.get("slug"), title, str(content["id"]))
    return Article(
        content_id=str(content["id"]),
        slug=slug,
        title=title,
        html=html,
        excerpt=excerpt,
        content_type=str(content.get("content_type") or "post"),
        categories=_clean_terms(content.get("categories")),
        tags=_clean_terms(content.get("tags")),
        featured_image_url=_featured_image(content.get("featured_image_url"), site_url),
        content_hash=content_hash(content),
        canonical_url=content.get("canonical_url") or None,
    )


def _article_slug(*candidates: Any) -> str:
    """The first candidate that makes a real slug: a deterministic slug is what prevents duplicates.

    slugify() answers "item" for text without ASCII letters or digits; two such titles must
    not share a slug, so they fall through to the content id.
    """
    for candidate in candidates:
        text = unicodedata.normalize("NFKD", str(candidate or ""))
        if any(ch.isascii() and ch.isalnum() for ch in text):
            return slugify(text)
    raise ValueError("content has no id to derive a slug from")


def _featured_image(url: Any, site_url: str | None) -> str | None:
    """An absolute http(s) image URL, or None (other schemes are never fetched)."""
    if not url:
        return None
    resolved = absolute_url(str(url).strip(), site_url)
    return resolved if urlsplit(resolved).scheme in ("http", "https") else None
