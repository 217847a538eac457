"""`start` and `invoke`: moto's server as the embedded AWS, the template's resources on it, and
the functions behind the API, the schedules and the queues (the API's and the queues' functions in
worker processes, local.workers)."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Collection, Iterator
from contextlib import ExitStack, contextmanager, redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from moto.server import ThreadedMotoServer

from local.api import ApiServer, Gateway, load_rest_api
from local.aws import Stack, attach, provision
from local.demo import print_try_it, seed_demo
from local.events import scheduled_event
from local.functions import Functions, shared_environment
from local.moto_atomic import atomic_moto_writes
from local.moto_memory import untracked_moto_records
from local.queues import pollers_of, sqs_sources, start_pollers
from local.rules import rule_sources, start_rules
from local.schedules import Clock, ScheduleSource, schedule_sources, start_schedules
from local.workers import PooledFunctions

log = logging.getLogger("local")
HOST = "127.0.0.1"  # loopback only: the local runner has no real authentication of AWS calls


def configure_logging(verbose: bool = False) -> None:
    """The runner's own lines on stderr; werkzeug's per-request lines (moto) silenced."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


@contextmanager
def moto_server(port: int) -> Iterator[str]:
    """moto's threaded server on loopback, its DynamoDB writes atomic as the real service's
    (local.moto_atomic), its memory not growing with every item and message it handles
    (local.moto_memory); yields its endpoint URL (port 0: any free port)."""
    if port and is_listening(f"http://{HOST}:{port}"):
        raise OSError(f"port {port} is in use: another `python -m local start`? (--moto-port picks another)")
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    try:
        with atomic_moto_writes(), untracked_moto_records():
            host, bound = server.get_host_and_port()
            yield f"http://{host}:{bound}"
    finally:
        server.stop()


def is_listening(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or HOST, parts.port or 80), timeout=1):
            return True
    except OSError:
        return False


def prepare_functions(
    stack: Stack,
    api_workers: int = 0,
    verbose: bool = False,
    queue_workers: int = 0,
    queue_functions: Collection[str] = (),
) -> Functions:
    """The functions, with the one environment they share set before any handler is imported;
    with `api_workers`, the API functions run in that many worker processes, and with
    `queue_workers` the `queue_functions` in that many others (local.workers)."""
    if api_workers or (queue_workers and queue_functions):
        functions: Functions = PooledFunctions(stack, api_workers, verbose, queue_workers, queue_functions)
    else:
        functions = Functions(stack)
    os.environ.update(shared_environment(stack, functions.specs))
    return functions


@dataclass(frozen=True)
class StartOptions:
    api_port: int = 3000
    moto_port: int = 5005
    clock_speed: float = 1.0
    schedules: bool = True
    demo: bool = False
    api_workers: int = 4
    queue_workers: int = 2
    """Batches of each queue run at once, each in a worker process (at most the event source's
    MaximumConcurrency); 0: one at a time, in the runner's process."""
    verbose: bool = False


def start(options: StartOptions, stop: threading.Event | None = None) -> None:
    """Run until `stop` is set (SIGINT or SIGTERM set it when this is the main thread)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    if not os.environ.get("JWT_SECRET"):
        log.warning("JWT_SECRET is not set: tokens use the README's public default secret (local use only)")
    with ExitStack() as running:
        endpoint = running.enter_context(moto_server(options.moto_port))
        stack = provision(endpoint)
        queues = sqs_sources(stack.template, stack.resolver.resolve)
        functions = prepare_functions(
            stack,
            options.api_workers,
            options.verbose,
            options.queue_workers,
            {source.function for source in queues},
        )
        running.callback(functions.shutdown)
        functions.load_all()
        api = load_rest_api(stack.template, stack.resolver)
        server = ApiServer(Gateway(api, functions), HOST, options.api_port)
        server.start()
        running.callback(server.stop)
        threads: list[threading.Thread] = []
        running.callback(_stop_threads, stop, threads)
        threads += start_pollers(
            queues, stack.client("sqs"), functions.invoke, stop, concurrency=options.queue_workers
        )
        rules = rule_sources(stack.template, stack.resolver.resolve)
        threads += start_rules(rules, stack.client("events"), stack.client("sqs"), functions.invoke, stop)
        schedules = schedule_sources(stack.template, stack.resolver.resolve) if options.schedules else []
        clock = Clock(options.clock_speed)
        threads += start_schedules(schedules, clock, _firing(functions), stop)
        _banner(server.url, endpoint, len(api.routes), queues, schedules, options)
        for rule in rules:
            log.info("rule %s on bus %s into %s", rule.event, rule.bus_name, rule.function)
        if options.demo:
            bucket_prefix = stack.resolver.resolve({"Ref": "StaticSiteBucketPrefix"})
            seed = seed_demo(server.url, endpoint, bucket_prefix)
            print_try_it(server.url, seed)
        while not stop.wait(0.5):
            pass
        log.info("stopping: pollers, schedules, API server, moto")
    log.info("stopped")


def _firing(functions: Functions) -> Any:
    def fire(source: ScheduleSource, tick: datetime) -> None:
        event = scheduled_event(source.rule_arn, tick) if source.input is None else json.loads(source.input)
        functions.invoke(source.function, event, f"schedule {source.event}")

    return fire


def _stop_threads(stop: threading.Event, threads: list[threading.Thread]) -> None:
    stop.set()
    for thread in threads:
        thread.join(timeout=30)


def _banner(
    api_url: str, endpoint: str, routes: int, queues: list, schedules: list, options: StartOptions
) -> None:
    log.info("API ready at %s/api/v1/ (%d routes from template.yaml)", api_url, routes)
    log.info("local AWS (moto) at %s", endpoint)
    for source in queues:
        at_once = pollers_of(source, options.queue_workers)
        log.info(
            "polling %s into %s (%d batch%s at once)",
            source.queue_name,
            source.function,
            at_once,
            "es" if at_once > 1 else "",
        )
    for source in schedules:
        log.info("schedule %s: %s (clock x%g)", source.function, source.expression, options.clock_speed)
    if not options.schedules:
        log.info("schedules are off (--no-schedules)")
    log.info("a token: python -m local token --account my-account --role owner; Ctrl-C stops")


def invoke(logical_id: str, event: Any, endpoint_url: str | None = None) -> int:
    """One invocation, like `sam local invoke`: the result as JSON on stdout, logs on stderr."""
    with ExitStack() as running:
        if endpoint_url and is_listening(endpoint_url):
            stack = attach(endpoint_url)
        else:
            if endpoint_url:
                log.warning("nothing listens at %s; using a fresh in-process moto", endpoint_url)
            stack = provision(running.enter_context(moto_server(0)))
        functions = prepare_functions(stack)
        try:
            with redirect_stdout(sys.stderr):  # the handler's logs must not mix with the result
                result = functions.invoke(logical_id, event, "invoke")
        except Exception as exc:  # the Lambda runtime's error shape
            print(json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}))
            return 1
    print(json.dumps(result, indent=2, default=str))
    return 0
