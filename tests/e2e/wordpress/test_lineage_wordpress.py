"""The publication lineage against a real WordPress, through Publisher's API and worker: publish,
publish unchanged, edit + publish, retract, republish.

One WordPress post all along (read from its REST API, never through the adapter); the unchanged
publish sends WordPress nothing, so the post keeps its modified time and revisions and the media
library gains nothing; one record whose attempts tell the story; the content's status honest at
every step. The requests Publisher sent WordPress are counted per step and printed.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pytest

from publisher.destinations.wordpress import media_slug
from tests.e2e.wordpress.test_worker_wordpress import the_post
from tests.integration.publishing_support import create_site, put_integration
from tests.support.lineage import STORY, GuardedRequests, Lineage, approved_content

if TYPE_CHECKING:
    from tests.e2e.wordpress.conftest import ImageHost, WordPressSite

pytestmark = pytest.mark.e2e


def media_uploads(sent: list[tuple[str, str]]) -> int:
    """Uploads among the requests sent (/wp-json/wp/v2/media or ?rest_route=%2Fwp%2Fv2%2Fmedia)."""
    return sum(1 for method, url in sent if method == "POST" and "/wp/v2/media" in unquote(url))


def test_publish_unchanged_edit_retract_republish_keeps_one_wordpress_post_and_sends_nothing_unchanged(
    aws: Any,
    wordpress: WordPressSite,
    wordpress_integration: dict[str, Any],
    images: ImageHost,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    site = create_site()
    body = {"config": wordpress_integration["config"], "credentials": wordpress_integration["credentials"]}
    put_integration(site["id"], "wordpress", body)
    featured, inline = images.add("lineage-featured"), images.add("lineage-inline")
    slug = f"e2e-lineage-{uuid.uuid4().hex[:8]}"  # WordPress keeps its posts between sessions
    content = approved_content(
        site["id"],
        title="Tomatoes in WordPress",
        html=f'<p>Sun and water.</p><figure><img src="{inline}" alt="a tomato"></figure>',
        slug=slug,
        excerpt="How tomatoes grow.",
        featured_image_url=featured,
        categories=["E2E Lineage"],
        tags=["e2e-lineage"],
    )
    lineage = Lineage(aws, content["id"], GuardedRequests(monkeypatch).to(wordpress.base_url))

    def library() -> list[int]:
        """How many media items the library holds for each source image."""
        return [len(wordpress.rest("GET", "wp/v2/media", slug=media_slug(url))) for url in (featured, inline)]

    def downloads() -> list[int]:
        return [images.downloads(featured), images.downloads(inline)]

    def revisions(post_id: int) -> int:
        return len(wordpress.rest("GET", f"wp/v2/posts/{post_id}/revisions", context="edit"))

    # 1. publish: one post, each image uploaded once
    record = lineage.publish("publish")
    lineage.check(outcomes=STORY[:1], site_status="published")
    post = the_post(wordpress, slug)
    assert record["external_id"] == str(post["id"]) and post["status"] == "publish"
    assert media_uploads(lineage.sent["publish"]) == 2
    assert library() == [1, 1] and downloads() == [1, 1]
    assert images.server.url not in post["content"]["raw"]
    first_revisions = revisions(post["id"])

    # 2. publish unchanged: WordPress is not contacted at all
    lineage.publish("publish unchanged")
    assert lineage.counts["publish unchanged"] == 0
    lineage.check(outcomes=STORY[:2], site_status="published")
    same = the_post(wordpress, slug)
    assert (same["id"], same["modified_gmt"]) == (post["id"], post["modified_gmt"])
    assert revisions(post["id"]) == first_revisions
    assert library() == [1, 1] and downloads() == [1, 1]

    # 3. edit + publish: the same post changes; the media items are reused
    lineage.edit(title="Tomatoes in WordPress, revised")
    lineage.check(outcomes=STORY[:2], site_status="published", changed=True)
    lineage.publish("edit + publish")
    lineage.check(outcomes=STORY[:3], site_status="published")
    edited = the_post(wordpress, slug)
    assert edited["id"] == post["id"] and edited["title"]["raw"] == "Tomatoes in WordPress, revised"
    assert edited["featured_media"] == post["featured_media"]
    assert revisions(post["id"]) > first_revisions  # WordPress keeps a revision of each real change
    assert media_uploads(lineage.sent["edit + publish"]) == 0
    assert library() == [1, 1] and downloads() == [1, 1]

    # 4. retract: the post goes to the trash; nothing of the content is online
    lineage.retract("retract")
    lineage.check(outcomes=STORY[:4], site_status="not_published")
    assert wordpress.rest("GET", f"wp/v2/posts/{post['id']}", context="edit")["status"] == "trash"
    assert wordpress.rest("GET", "wp/v2/posts", slug=slug) == []  # gone from the public site

    # 5. republish: the same post is restored under its slug, nothing uploaded
    restored = lineage.publish("republish")
    lineage.check(outcomes=STORY, site_status="published")
    live = the_post(wordpress, slug)
    assert restored["external_id"] == str(post["id"])
    assert (live["id"], live["status"], live["slug"]) == (post["id"], "publish", slug)
    assert live["title"]["raw"] == "Tomatoes in WordPress, revised"
    assert media_uploads(lineage.sent["republish"]) == 0
    assert library() == [1, 1] and downloads() == [1, 1]

    lineage.report("wordpress", capsys)
    assert all(lineage.counts[step] > 0 for step in ("publish", "edit + publish", "retract", "republish"))

    # down and up again: still the one post
    lineage.retract("retract again")
    lineage.check(outcomes=[*STORY, "retracted"], site_status="not_published")
    assert wordpress.rest("GET", f"wp/v2/posts/{post['id']}", context="edit")["status"] == "trash"
    lineage.publish("republish again")
    lineage.check(outcomes=[*STORY, "retracted", "published"], site_status="published")
    again = the_post(wordpress, slug)
    assert (again["id"], again["status"], again["slug"]) == (post["id"], "publish", slug)
    assert library() == [1, 1] and downloads() == [1, 1]
