"""The template's functions, loaded in this process and invoked like Lambda would invoke them:
one module per function (all are `app.py`), a Lambda context, one log line per invocation."""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from local.aws import ACCOUNT, REGION, Stack
from local.template import ROOT, layer_directories

log = logging.getLogger("local")

# Powertools' REST resolver keeps the current request in a class attribute shared by every
# resolver of the process, so in one process the API functions take turns (in Lambda each has its
# own process; `start` runs them in worker processes: local.workers).
API_LOCK_KEY = "api-resolvers"


class LocalContext(LambdaContext):
    """The Lambda context object, with the function's template settings."""

    def __init__(self, function_name: str, memory_mb: int, timeout_s: int) -> None:
        self._function_name = function_name
        self._function_version = "$LATEST"
        self._invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        self._memory_limit_in_mb = memory_mb
        self._aws_request_id = str(uuid.uuid4())
        self._log_group_name = f"/aws/lambda/{function_name}"
        self._log_stream_name = f"local/{self._aws_request_id}"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


@dataclass(frozen=True)
class FunctionSpec:
    """A function of the template with its Globals applied."""

    logical_id: str
    source: Path  # the handler's module file
    handler: str  # the attribute of that module
    timeout: int
    memory: int
    events: dict[str, Any]

    @property
    def serves_api(self) -> bool:
        return any(event["Type"] == "Api" for event in self.events.values())


def function_specs(stack: Stack, root: Path = ROOT) -> dict[str, FunctionSpec]:
    """Every AWS::Serverless::Function of the template, by logical id."""
    template = stack.template
    defaults = template.get("Globals", {}).get("Function", {})
    specs = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = {**defaults, **resource["Properties"]}
        module, _, attribute = stack.resolver.resolve(props["Handler"]).rpartition(".")
        code_dir = root / stack.resolver.resolve(props["CodeUri"])
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            source=code_dir / (module.replace(".", "/") + ".py"),
            handler=attribute,
            timeout=int(stack.resolver.resolve(props.get("Timeout", 3))),
            memory=int(stack.resolver.resolve(props.get("MemorySize", 128))),
            events=props.get("Events") or {},
        )
    return specs


def shared_environment(stack: Stack, specs: dict[str, FunctionSpec]) -> dict[str, str]:
    """The one environment all functions share in this process; a function that declares
    variables of its own (which the process cannot honour) is refused."""
    environments = {logical_id: stack.function_environment(logical_id) for logical_id in specs}
    first_id, first = next(iter(environments.items()))
    for logical_id, env in environments.items():
        if env != first:
            differing = sorted(key for key in env.keys() | first.keys() if env.get(key) != first.get(key))
            raise ValueError(
                f"{logical_id} and {first_id} differ in {', '.join(differing)}: the local runner "
                "runs every function in one process, so functions must share the Globals environment"
            )
    return first


def _ok(_result: Any) -> str:
    return "ok"


class Functions:
    """Loads handlers on first use (a cold start) and invokes them."""

    def __init__(self, stack: Stack, root: Path = ROOT) -> None:
        self.specs = function_specs(stack, root)
        self._modules: dict[str, ModuleType] = {}
        self._loading = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        for spec in self.specs.values():
            self._locks.setdefault(API_LOCK_KEY if spec.serves_api else spec.logical_id, threading.Lock())
        for directory in layer_directories(stack.template, root):
            if str(directory) not in sys.path:
                sys.path.insert(0, str(directory))

    def module(self, logical_id: str) -> ModuleType:
        """The function's handler module, imported once under a name of its own."""
        with self._loading:
            if logical_id not in self._modules:
                spec = self.specs[logical_id]
                name = f"local_function_{logical_id}"
                module_spec = importlib.util.spec_from_file_location(name, spec.source)
                if module_spec is None or module_spec.loader is None:
                    raise ImportError(f"cannot load {spec.source}")
                module = importlib.util.module_from_spec(module_spec)
                sys.modules[name] = module
                module_spec.loader.exec_module(module)
                self._modules[logical_id] = module
            return self._modules[logical_id]

    def load_all(self) -> None:
        for logical_id in self.specs:
            self.module(logical_id)

    def shutdown(self) -> None:
        """Nothing runs outside this process (PooledFunctions stops its workers here)."""

    def invoke(self, logical_id: str, event: Any, trigger: str, outcome: Callable[[Any], str] = _ok) -> Any:
        """Run the handler and log `invoke <function> [<trigger>] <ms> ms -> <outcome>`;
        the handler's exception is logged and raised again."""
        if logical_id not in self.specs:
            raise KeyError(f"no function {logical_id} in the template (have: {', '.join(self.specs)})")
        spec = self.specs[logical_id]
        handler = getattr(self.module(logical_id), spec.handler)
        lock = self._locks[API_LOCK_KEY if spec.serves_api else logical_id]
        with lock:
            context = LocalContext(logical_id, spec.memory, spec.timeout)
            started = time.perf_counter()
            try:
                result = handler(event, context)
            except Exception as exc:
                self._log(spec, trigger, started, f"error {type(exc).__name__}: {exc}")
                log.debug("%s raised", logical_id, exc_info=True)
                raise
        self._log(spec, trigger, started, outcome(result))
        return result

    @staticmethod
    def _log(spec: FunctionSpec, trigger: str, started: float, outcome: str) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        late = f" (over its {spec.timeout} s timeout)" if elapsed_ms > spec.timeout * 1000 else ""
        log.info("invoke %s [%s] %.0f ms -> %s%s", spec.logical_id, trigger, elapsed_ms, outcome, late)
