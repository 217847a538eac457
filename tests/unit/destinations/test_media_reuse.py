"""Images an earlier publication of the same content uploaded are reused, not uploaded again:
the adapters consult `Destination.media` (handed in by `publish(media=...)`) before any request."""

from __future__ import annotations

from typing import Any

import pytest

from publisher.destinations.base import Article
from publisher.destinations.ghost import GhostDestination
from publisher.destinations.wordpress import Media, WordPressDestination

IMAGE, INLINE = "https://img.example.org/feature.png", "https://img.example.org/inline.png"
ARTICLE = Article(
    content_id="c-1",
    slug="tomatoes",
    title="Tomatoes",
    html=f'<p>Look</p><img src="{INLINE}">',
    featured_image_url=IMAGE,
)


class NoNetwork:
    """A session that fails the test on any request."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"no request expected, got {args} {kwargs}")

    get = post = put = delete = request


def test_ghost_reuses_the_images_of_the_media_map_without_a_request() -> None:
    destination = GhostDestination(
        {"admin_url": "https://blog.example.com"},
        {"admin_api_key": "a" * 24 + ":" + "b" * 64},
        session=NoNetwork(),
    )
    destination.media = {IMAGE: "https://blog.example.com/content/images/f.png", INLINE: "https://g/i.png"}

    fields = destination._fields(ARTICLE)

    assert fields["feature_image"] == "https://blog.example.com/content/images/f.png"
    assert 'src="https://g/i.png"' in fields["html"]


def test_ghost_adds_what_it_uploads_to_the_media_map(monkeypatch: pytest.MonkeyPatch) -> None:
    destination = GhostDestination(
        {"admin_url": "https://blog.example.com"},
        {"admin_api_key": "a" * 24 + ":" + "b" * 64},
        session=NoNetwork(),
    )
    uploads: list[str] = []
    monkeypatch.setattr(
        destination, "upload_media", lambda url: uploads.append(url) or f"https://copy/{len(uploads)}"
    )
    destination.media = {IMAGE: "https://copy/known"}

    destination._fields(ARTICLE)

    assert uploads == [INLINE]
    assert destination.media == {IMAGE: "https://copy/known", INLINE: "https://copy/1"}


def test_wordpress_reuses_known_media_and_looks_up_only_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    destination = WordPressDestination({"base_url": "https://wp.example.com"}, {}, session=NoNetwork())
    destination.media = {IMAGE: {"id": 7, "url": "https://wp.example.com/f.png"}}
    looked_up: list[Any] = []

    def call(method: str, route: str, **kwargs: Any) -> Any:
        looked_up.append(kwargs["params"]["slug"])
        return []

    monkeypatch.setattr(destination, "_call", call)
    monkeypatch.setattr(
        destination, "_upload_image", lambda url, slug: Media(8, "https://wp.example.com/i.png")
    )

    found = destination._import_images([INLINE, IMAGE])

    assert found[IMAGE] == Media(7, "https://wp.example.com/f.png")
    assert found[INLINE] == Media(8, "https://wp.example.com/i.png")
    assert len(looked_up) == 1 and "," not in looked_up[0]  # only the unknown image was looked up
    assert destination.media[INLINE] == {"id": 8, "url": "https://wp.example.com/i.png"}


def test_wordpress_with_every_image_known_makes_no_media_request() -> None:
    destination = WordPressDestination({"base_url": "https://wp.example.com"}, {}, session=NoNetwork())
    destination.media = {IMAGE: {"id": 7, "url": "https://wp.example.com/f.png"}}

    assert destination._import_images([IMAGE]) == {IMAGE: Media(7, "https://wp.example.com/f.png")}
