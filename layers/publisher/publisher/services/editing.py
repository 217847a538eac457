"""Editing content as `PATCH /content/{id}/` does: the edit, then — with the site's
`auto_republish_on_edit` — a republish of published content whose published fields changed.
Its own use case because it composes two (content and publishing, which imports content)."""

from __future__ import annotations

from typing import Any

from publisher.domain.content import ContentPatch
from publisher.identity import Caller
from publisher.services import content, publishing


def edit_content(caller: Caller, content_id: str, patch: ContentPatch) -> dict[str, Any]:
    view = content.update_content(caller, content_id, patch)
    if publishing.republish_after_edit(content_id):
        view = content.get_content(caller, content_id)
    return view
