"""`python -m publisher.cli token --account A --role editor`: a dev token for JWT_SECRET."""

from __future__ import annotations

import argparse
import os
from datetime import timedelta

from publisher.tokens import LOCAL_DEV_SECRET, issue_token


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="publisher", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="print a signed dev token")
    token.add_argument("--account", required=True)
    token.add_argument("--role", default="owner")
    token.add_argument("--sub", default="dev-user")
    token.add_argument("--hours", type=float, default=12)
    args = parser.parse_args(argv)
    secret = os.environ.get("JWT_SECRET") or LOCAL_DEV_SECRET
    print(
        issue_token(
            secret, account_id=args.account, role=args.role, sub=args.sub, ttl=timedelta(hours=args.hours)
        )
    )


if __name__ == "__main__":
    main()
