"""One-off migration of content items written before the body had an item of its own.

Moves the body fields (html, excerpt, categories, tags, featured_image_url) of every content item
of the named sites, or of every site of the named accounts, into its `body#<content_id>` item and
stores the item's `content_hash` (see store/content.py `move_body_apart`). Queries only (the sites'
account-index, the content's site-status-index), no Scan; items already moved are left alone, so
it is safe to run again, and while the service runs (an item edited meanwhile is left for the next
run, which the summary says).

    AWS_REGION=... TABLE_PREFIX=... .venv/bin/python scripts/migrate_bodies.py --site-id SITE [...]
    .venv/bin/python scripts/migrate_bodies.py --account-id ACCOUNT [...]

The tables are found as the functions find them (the same environment variables).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "publisher"), str(ROOT)]

from publisher.domain.statuses import ContentStatus  # noqa: E402
from publisher.store import content as content_store  # noqa: E402
from scripts.migration_sites import chosen_sites  # noqa: E402


@dataclass
class BodySummary:
    moved: int = 0
    already: int = 0
    changed: int = 0


def migrate(site_ids: Sequence[str]) -> BodySummary:
    summary = BodySummary()
    for site_id in site_ids:
        for status in ContentStatus:
            for item in content_store.with_status(site_id, status.value):
                if item.body_apart:
                    summary.already += 1
                elif content_store.move_body_apart(item):
                    summary.moved += 1
                else:
                    summary.changed += 1
    return summary


def main(argv: Sequence[str] | None = None) -> BodySummary:
    summary = migrate(chosen_sites(__doc__.splitlines()[0], argv))
    print(
        f"bodies moved: {summary.moved}, already apart: {summary.already}, "
        f"edited meanwhile (run again): {summary.changed}"
    )
    return summary


if __name__ == "__main__":
    main()
