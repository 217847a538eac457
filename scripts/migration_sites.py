"""The sites a one-off migration works on: `--site-id SITE` and `--account-id ACCOUNT` (each may be
repeated; an account stands for all its sites, read from the sites' account index, no Scan)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "publisher"), str(ROOT)]

from publisher.bootstrap import ready_store  # noqa: E402
from publisher.store.models import SiteModel  # noqa: E402


def sites_of(account_ids: Sequence[str]) -> list[str]:
    return [site.site_id for account_id in account_ids for site in SiteModel.account_index.query(account_id)]


def chosen_sites(description: str, argv: Sequence[str] | None = None) -> list[str]:
    """The site ids the command line names, each once, in order (the store made ready first)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--site-id", action="append", default=[])
    parser.add_argument("--account-id", action="append", default=[])
    args = parser.parse_args(argv)
    if not args.site_id and not args.account_id:
        parser.error("name at least one --site-id or --account-id")
    ready_store()
    return list(dict.fromkeys([*args.site_id, *sites_of(args.account_id)]))
