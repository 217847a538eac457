"""`python -m local start | invoke | token | demo` — the SAM CLI's verbs without Docker."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

from local.template import layer_directories, load_template

# As in Lambda, the layers' code is importable by the handlers (and by the runner's own modules).
for _directory in reversed(layer_directories(load_template())):
    if str(_directory) not in sys.path:
        sys.path.insert(0, str(_directory))


def _parser() -> argparse.ArgumentParser:
    from publisher.identity import ROLES

    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)

    start = verbs.add_parser("start", help="the API, schedules and queues of template.yaml on moto")
    start.add_argument("-p", "--port", type=int, default=3000, help="the API's port on 127.0.0.1 (3000)")
    start.add_argument("--moto-port", type=int, default=5005, help="moto's port on 127.0.0.1 (5005)")
    start.add_argument("--clock-speed", type=float, default=1.0, help="run schedules N times faster")
    start.add_argument("--no-schedules", action="store_true", help="do not fire the schedules")
    start.add_argument("--demo", action="store_true", help="seed a demo account through the API")
    start.add_argument("--verbose", action="store_true", help="tracebacks of failed invocations")
    start.add_argument(
        "--api-workers", type=int, default=4, help="API requests served at once, each in a worker process (4)"
    )
    start.add_argument(
        "--queue-workers",
        type=int,
        default=2,
        help="batches of each queue run at once, each in a worker process (2; 0: one, in the runner)",
    )

    invoke = verbs.add_parser("invoke", help="invoke one function once, like `sam local invoke`")
    invoke.add_argument("logical_id", help="e.g. ScheduleApprovedContentFunction")
    invoke.add_argument("-e", "--event", help="event JSON file ('-' reads stdin); {} if omitted")
    invoke.add_argument("--endpoint-url", help="the moto of a running start, e.g. http://127.0.0.1:5005")

    token = verbs.add_parser("token", help="print a dev JWT signed with JWT_SECRET (else the default)")
    token.add_argument("--account", required=True)
    token.add_argument("--role", default="owner", choices=ROLES)
    token.add_argument("--sub", default="dev-user")
    token.add_argument("--hours", type=float, default=12, help="at most MAX_TOKEN_LIFETIME_HOURS (24)")

    demo = verbs.add_parser("demo", help="seed a demo account into a running start")
    demo.add_argument("--api", default="http://127.0.0.1:3000")
    demo.add_argument("--endpoint-url", default="http://127.0.0.1:5005", help="the running start's moto")
    return parser


def _read_event(path: str | None) -> object:
    if not path:
        return {}
    return json.loads(sys.stdin.read() if path == "-" else Path(path).read_text())


def _print_token(args: argparse.Namespace) -> int:
    from local.aws import local_jwt_secret
    from publisher.config import max_token_lifetime
    from publisher.errors import Invalid
    from publisher.tokens import issue_token

    try:
        token = issue_token(
            local_jwt_secret(),
            account_id=args.account,
            role=args.role,
            sub=args.sub,
            ttl=timedelta(hours=args.hours),
            max_lifetime=max_token_lifetime(),
        )
    except Invalid as refused:
        print(f"cannot issue the token: {refused}", file=sys.stderr)
        return 2
    print(token)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.verb == "token":
        return _print_token(args)
    from local import runner

    runner.configure_logging(getattr(args, "verbose", False))
    if args.verb == "start":
        options = runner.StartOptions(
            api_port=args.port,
            moto_port=args.moto_port,
            clock_speed=args.clock_speed,
            schedules=not args.no_schedules,
            demo=args.demo,
            api_workers=max(1, args.api_workers),
            queue_workers=max(0, args.queue_workers),
            verbose=args.verbose,
        )
        try:
            runner.start(options)
        except OSError as exc:  # a port in use, typically
            print(f"cannot start: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.verb == "invoke":
        return runner.invoke(args.logical_id, _read_event(args.event), args.endpoint_url)
    from local.aws import local_parameters
    from local.demo import print_try_it, seed_demo

    bucket_prefix = local_parameters(load_template())["StaticSiteBucketPrefix"]
    seed = seed_demo(args.api, args.endpoint_url, bucket_prefix)
    print_try_it(args.api, seed)
    return 1 if seed.failures else 0


if __name__ == "__main__":
    sys.exit(main())
