"""The API functions of `start` in worker processes, so requests from several clients run at
once as they do in Lambda: each worker is an execution environment of its own (one process, its
own module state, one request at a time). In one process they could not: Powertools keeps the
request being routed in class attributes (`BaseRouter.current_event`) and in the resolver's
`context`, which concurrent requests would overwrite.

A worker is started when a request finds none idle (up to `size`), attaches to the runner's moto
like `python -m local invoke --endpoint-url` and imports the API functions (its cold start). The
other functions (the authorizer, schedules, queues) run in the runner's process, as before."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from local.aws import Stack
from local.functions import Functions, _ok

log = logging.getLogger("local")

_worker_functions: Functions | None = None  # in a worker: its own functions


def _start_worker(endpoint_url: str, verbose: bool) -> None:
    global _worker_functions
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the runner, which stops its workers
    from local.aws import attach
    from local.runner import configure_logging, prepare_functions

    configure_logging(verbose)
    _worker_functions = prepare_functions(attach(endpoint_url))
    for logical_id, spec in _worker_functions.specs.items():  # the worker's one cold start
        if spec.serves_api:
            _worker_functions.module(logical_id)


def _invoke_in_worker(logical_id: str, event: Any, trigger: str, outcome: Callable[[Any], str]) -> Any:
    assert _worker_functions is not None, "not a worker process"
    return _worker_functions.invoke(logical_id, event, trigger, outcome)


class PooledFunctions(Functions):
    """Functions whose API functions run in a pool of `size` worker processes."""

    def __init__(self, stack: Stack, size: int, verbose: bool = False) -> None:
        super().__init__(stack)
        self._pool_args = (size, stack.endpoint_url, verbose)
        self._pool_lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        size, endpoint_url, verbose = self._pool_args
        return ProcessPoolExecutor(
            max_workers=size,
            mp_context=multiprocessing.get_context("spawn"),  # never fork a process with threads
            initializer=_start_worker,
            initargs=(endpoint_url, verbose),
        )

    def invoke(self, logical_id: str, event: Any, trigger: str, outcome: Callable[[Any], str] = _ok) -> Any:
        spec = self.specs.get(logical_id)
        if spec is None or not spec.serves_api:
            return super().invoke(logical_id, event, trigger, outcome)
        pool = self._pool
        try:
            return pool.submit(_invoke_in_worker, logical_id, event, trigger, outcome).result()
        except BrokenProcessPool:  # a worker died (as a Lambda runtime can): new environments next time
            with self._pool_lock:
                if self._pool is pool:
                    log.warning("an API worker process died; starting fresh ones")
                    self._pool = self._new_pool()
            raise

    def shutdown(self) -> None:
        """Finish the requests in flight, then stop the workers."""
        self._pool.shutdown(wait=True, cancel_futures=True)
