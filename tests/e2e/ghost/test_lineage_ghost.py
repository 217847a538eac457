"""The publication lineage against a real Ghost 5, through Publisher's API and worker: publish,
publish unchanged, edit + publish, retract, republish.

One Ghost post all along (read from Ghost's Admin API, never through the adapter); the
unchanged publish sends Ghost nothing, so no image is uploaded again and Ghost adds no
revision; one record whose attempts tell the story; the content's status honest at every step.
The requests Publisher sent Ghost are counted per step and printed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.publishing_support import create_site, put_integration
from tests.support.lineage import STORY, GuardedRequests, Lineage, approved_content

if TYPE_CHECKING:
    from tests.e2e.ghost.conftest import GhostAdmin, ImageServer

pytestmark = pytest.mark.e2e

RED, BLUE = (200, 30, 30), (30, 30, 200)


def ghost_post(ghost_admin: GhostAdmin, post_id: str) -> dict[str, Any]:
    """The post as Ghost holds it, with its revisions."""
    return ghost_admin.get(f"posts/{post_id}/", formats="html", include="post_revisions")["posts"][0]


def uploads(sent: list[tuple[str, str]]) -> int:
    return sum(1 for method, url in sent if method == "POST" and "/images/upload/" in url)


def test_publish_unchanged_edit_retract_republish_keeps_one_ghost_post_and_sends_nothing_unchanged(
    aws: Any,
    ghost_integration: dict[str, dict[str, Any]],
    ghost_admin: GhostAdmin,
    image_server: ImageServer,
    unique_slug: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    site = create_site()
    put_integration(site["id"], "ghost", ghost_integration)
    feature, inline = image_server.add(RED), image_server.add(BLUE)

    def fetched() -> tuple[int, int]:
        """How often Publisher downloaded each source image so far."""
        hits = image_server.hits
        return hits[feature.removeprefix(image_server.base)], hits[inline.removeprefix(image_server.base)]

    content = approved_content(
        site["id"],
        title="Tomatoes in Ghost",
        html=f'<p>Sun and water.</p><figure><img src="{inline}" alt="a tomato"></figure>',
        slug=unique_slug,
        excerpt="How tomatoes grow.",
        featured_image_url=feature,
        tags=["e2e-lineage"],
    )
    lineage = Lineage(aws, content["id"], GuardedRequests(monkeypatch).to(ghost_admin.admin_url))

    # 1. publish: one post, both images uploaded once
    record = lineage.publish("publish")
    lineage.check(outcomes=STORY[:1], site_status="published")
    [listed] = ghost_admin.with_slug("posts", unique_slug)
    post = ghost_post(ghost_admin, listed["id"])
    assert record["external_id"] == post["id"] and post["status"] == "published"
    assert post["feature_image"].startswith(f"{ghost_admin.admin_url}/content/images/")
    assert inline not in post["html"] and "/content/images/" in post["html"]
    assert uploads(lineage.sent["publish"]) == 2 and fetched() == (1, 1)

    # 2. publish unchanged: Ghost is not contacted at all
    lineage.publish("publish unchanged")
    assert lineage.counts["publish unchanged"] == 0
    lineage.check(outcomes=STORY[:2], site_status="published")
    same = ghost_post(ghost_admin, post["id"])
    assert same["updated_at"] == post["updated_at"]
    assert len(same["post_revisions"]) == len(post["post_revisions"])  # no new revision
    assert same["feature_image"] == post["feature_image"] and fetched() == (1, 1)  # no new upload
    assert [p["id"] for p in ghost_admin.with_slug("posts", unique_slug)] == [post["id"]]

    # 3. edit + publish: the same post changes; the images are reused, not uploaded again
    lineage.edit(title="Tomatoes in Ghost, revised")
    lineage.check(outcomes=STORY[:2], site_status="published", changed=True)
    lineage.publish("edit + publish")
    lineage.check(outcomes=STORY[:3], site_status="published")
    edited = ghost_post(ghost_admin, post["id"])
    assert len(edited["post_revisions"]) > len(post["post_revisions"])  # Ghost counts every PUT
    assert edited["title"] == "Tomatoes in Ghost, revised" and edited["status"] == "published"
    assert edited["feature_image"] == post["feature_image"]
    assert uploads(lineage.sent["edit + publish"]) == 0 and fetched() == (1, 1)
    assert [p["id"] for p in ghost_admin.with_slug("posts", unique_slug)] == [post["id"]]

    # 4. retract: the post goes back to draft; nothing of the content is online
    lineage.retract("retract")
    lineage.check(outcomes=STORY[:4], site_status="not_published")
    assert ghost_post(ghost_admin, post["id"])["status"] == "draft"

    # 5. republish: the same post is live again, nothing uploaded
    restored = lineage.publish("republish")
    lineage.check(outcomes=STORY, site_status="published")
    live = ghost_post(ghost_admin, post["id"])
    assert restored["external_id"] == post["id"] and live["status"] == "published"
    assert live["title"] == "Tomatoes in Ghost, revised"
    assert uploads(lineage.sent["republish"]) == 0 and fetched() == (1, 1)
    assert [p["id"] for p in ghost_admin.with_slug("posts", unique_slug)] == [post["id"]]

    lineage.report("ghost", capsys)
    assert all(lineage.counts[step] > 0 for step in ("publish", "edit + publish", "retract", "republish"))

    # down and up again: still the one post
    lineage.retract("retract again")
    lineage.check(outcomes=[*STORY, "retracted"], site_status="not_published")
    assert ghost_post(ghost_admin, post["id"])["status"] == "draft"
    lineage.publish("republish again")
    lineage.check(outcomes=[*STORY, "retracted", "published"], site_status="published")
    assert ghost_post(ghost_admin, post["id"])["status"] == "published"
    assert [p["id"] for p in ghost_admin.with_slug("posts", unique_slug)] == [post["id"]]
    assert fetched() == (1, 1)
