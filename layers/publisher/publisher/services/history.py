"""A content's history: every change of its status or schedule, newest first (the entries are
written by the store as the changes are made: store/history.py)."""

from __future__ import annotations

from typing import Any

from publisher.identity import Caller
from publisher.paging import PageRequest
from publisher.services.content import load_content
from publisher.services.views import history_view
from publisher.store import history as store


def content_history(
    caller: Caller, content_id: str, page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    load_content(caller, content_id, with_body=False)
    entries, cursor = store.history_page(content_id, page)
    return [history_view(entry) for entry in entries], cursor
