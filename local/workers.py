"""Functions run in worker processes, so that several invocations run at once as they do in
Lambda: each worker is an execution environment of its own (one process, its own module state, one
invocation at a time). In one process they could not: Powertools keeps the request being routed in
class attributes (`BaseRouter.current_event`) and in the resolver's `context`, which concurrent
requests would overwrite, and the runner runs one invocation of a function at a time.

Pools: one for the API functions (`--api-workers`, a request finding none idle starts one) and one
for each function of a queue's event source (`--queue-workers`: the queue is polled by that many
threads, at most its `MaximumConcurrency`, as Lambda's event source mapping runs batches at once).
A worker attaches to the runner's moto (and template) like `python -m local invoke --endpoint-url`
and imports its pool's functions when it starts (its cold start). The other functions (the authorizer, the
schedules, the rules of functions without a queue) run in the runner's process."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Collection
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from local.aws import Stack
from local.functions import Functions, _ok

log = logging.getLogger("local")

_worker_functions: Functions | None = None  # in a worker: its own functions


def _start_worker(
    endpoint_url: str, template: dict[str, Any], verbose: bool, preload: tuple[str, ...]
) -> None:
    global _worker_functions
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the runner, which stops its workers
    from local.aws import attach
    from local.runner import configure_logging, prepare_functions

    configure_logging(verbose)
    _worker_functions = prepare_functions(attach(endpoint_url, template=template))
    for logical_id in preload:  # the worker's one cold start
        _worker_functions.module(logical_id)


def _invoke_in_worker(logical_id: str, event: Any, trigger: str, outcome: Callable[[Any], str]) -> Any:
    assert _worker_functions is not None, "not a worker process"
    return _worker_functions.invoke(logical_id, event, trigger, outcome)


class _Pool:
    """`size` worker processes for the functions `preload` names; a pool whose worker died (as a
    Lambda runtime can) is replaced by fresh environments for the next invocation."""

    def __init__(self, name: str, size: int, stack: Stack, verbose: bool, preload: tuple[str, ...]) -> None:
        self.name = name
        self._args = (size, stack.endpoint_url, stack.template, verbose, preload)
        self._lock = threading.Lock()
        self._executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        size, *initargs = self._args
        return ProcessPoolExecutor(
            max_workers=size,
            mp_context=multiprocessing.get_context("spawn"),  # never fork a process with threads
            initializer=_start_worker,
            initargs=tuple(initargs),
        )

    def invoke(self, logical_id: str, event: Any, trigger: str, outcome: Callable[[Any], str]) -> Any:
        executor = self._executor
        try:
            return executor.submit(_invoke_in_worker, logical_id, event, trigger, outcome).result()
        except BrokenProcessPool:
            with self._lock:
                if self._executor is executor:
                    log.warning("a worker process of %s died; starting fresh ones", self.name)
                    self._executor = self._new()
            raise

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


class PooledFunctions(Functions):
    """Functions whose API functions run in a pool of `size` worker processes, and (with
    `queue_size`) each of `queue_functions` in a pool of `queue_size` of its own."""

    def __init__(
        self,
        stack: Stack,
        size: int,
        verbose: bool = False,
        queue_size: int = 0,
        queue_functions: Collection[str] = (),
    ) -> None:
        super().__init__(stack)
        self._pools: dict[str, _Pool] = {}
        api = tuple(logical_id for logical_id, spec in self.specs.items() if spec.serves_api)
        if api and size:
            self._pools.update(dict.fromkeys(api, _Pool("the API functions", size, stack, verbose, api)))
        for logical_id in queue_functions if queue_size else ():
            if logical_id not in api:  # each its own environments, as in Lambda
                self._pools[logical_id] = _Pool(logical_id, queue_size, stack, verbose, (logical_id,))

    def invoke(self, logical_id: str, event: Any, trigger: str, outcome: Callable[[Any], str] = _ok) -> Any:
        pool = self._pools.get(logical_id)
        if pool is None:
            return super().invoke(logical_id, event, trigger, outcome)
        return pool.invoke(logical_id, event, trigger, outcome)

    def shutdown(self) -> None:
        """Finish the invocations in flight, then stop the workers."""
        for pool in set(self._pools.values()):
            pool.shutdown()
