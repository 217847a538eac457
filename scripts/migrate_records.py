"""One-off migration to one PublishingRecord per (content, destination) (API.md v1.1).

Folds the older records of each pair into the newest (see publisher/services/record_migration.py)
for every content of the named sites, or of every site of the named accounts. Queries only (the
site and content indexes, then the records' content-index); no Scan. Safe to run again.

    AWS_REGION=... TABLE_PREFIX=... .venv/bin/python scripts/migrate_records.py --site-id SITE [...]
    .venv/bin/python scripts/migrate_records.py --account-id ACCOUNT [...]

The tables are found as the functions find them (the same environment variables).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "publisher"), str(ROOT)]

from publisher.domain.statuses import SiteStatus  # noqa: E402
from publisher.services.record_migration import FoldSummary, fold_records_of_content  # noqa: E402
from publisher.store import content as content_store  # noqa: E402
from scripts.migration_sites import chosen_sites  # noqa: E402


def migrate(site_ids: Sequence[str]) -> FoldSummary:
    total = FoldSummary()
    for site_id in site_ids:
        for content in content_store.with_site_status(site_id, list(SiteStatus)):
            done = fold_records_of_content(content.content_id)
            total.kept += done.kept
            total.folded += done.folded
    return total


def main(argv: Sequence[str] | None = None) -> FoldSummary:
    summary = migrate(chosen_sites(__doc__.splitlines()[0], argv))
    print(f"records kept: {summary.kept}, folded into them and deleted: {summary.folded}")
    return summary


if __name__ == "__main__":
    main()
