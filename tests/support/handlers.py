"""Load a function's handler module (every function's file is called app.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from local.template import ROOT, load_template

_loaded: dict[str, ModuleType] = {}


def function_dir(logical_id: str) -> Path:
    props = load_template()["Resources"][logical_id]["Properties"]
    return ROOT / props["CodeUri"]


def load_handler_module(logical_id: str) -> ModuleType:
    """Import functions/<dir>/app.py once per test session under a unique module name."""
    if logical_id not in _loaded:
        path = function_dir(logical_id) / "app.py"
        name = f"handler_{logical_id}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        _loaded[logical_id] = module
    return _loaded[logical_id]


class FakeLambdaContext:
    """The attributes of LambdaContext that Powertools reads."""

    function_name = "publisher-test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:publisher-test"
    memory_limit_in_mb = 512
    aws_request_id = "test-request-id"
    log_group_name = "/aws/lambda/publisher-test"
    log_stream_name = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000
