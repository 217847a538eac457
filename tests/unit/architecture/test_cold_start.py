"""What a cold start loads (issue 16): each function's handler module is imported in a fresh
process, as Lambda does, and the modules no request of that function needs at once must not be
there. A count of modules, not a timing: `make bench` measures the time
(scripts/bench_imports.py, with `python -X importtime` evidence)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from local.template import ROOT, load_template, resources_of_type

FUNCTIONS = sorted(resources_of_type(load_template(), "AWS::Serverless::Function"))
API_FUNCTIONS = {"ContentApiFunction", "PublicApiFunction", "PublisherApiFunction", "SitesApiFunction"}

NEVER_AT_COLD_START = {
    "aws_xray_sdk": "the X-Ray SDK (what Powertools' Tracer loads): only with TRACE_AWS_CALLS",
    "aws_lambda_powertools.event_handler.openapi.models": "the OpenAPI document's models: built when asked",
    "aws_lambda_powertools.event_handler.openapi.swagger_ui": "Swagger UI: loaded by GET /docs",
    "publisher.api.schemas": "the response components of the OpenAPI document",
    "aws_lambda_powertools.utilities.parser.models": "the models of every event source Powertools knows",
    "requests": "the HTTP client of the destinations: loaded by the first delivery",
}
DELIVERS_AT_ONCE = {"NotifierFunction"}
"""Functions whose every invocation makes an HTTP delivery: `requests` is needed at once."""
NO_PYDANTIC = {"AuthorizerFunction", "ConsoleFunction"}
"""Functions whose requests validate nothing with pydantic."""


def loaded_modules(logical_id: str, environ: dict[str, str] | None = None) -> set[str]:
    """sys.modules after importing the function's app.py in a fresh interpreter."""
    props = load_template()["Resources"][logical_id]["Properties"]
    path = ROOT / props["CodeUri"] / "app.py"
    code = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('app', {str(path)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['app'] = module\n"
        "spec.loader.exec_module(module)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    from scripts.bench_imports import ENV

    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**ENV, **(environ or {})},
        check=True,
        capture_output=True,
        text=True,
    )
    return set(json.loads(out.stdout))


def present(modules: set[str], name: str) -> bool:
    return name in modules or any(module.startswith(name + ".") for module in modules)


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_a_cold_start_does_not_load_what_no_request_needs_at_once(logical_id):
    modules = loaded_modules(logical_id)

    loaded = {name: why for name, why in NEVER_AT_COLD_START.items() if present(modules, name)}
    if logical_id in DELIVERS_AT_ONCE:
        loaded.pop("requests", None)
    if logical_id in NO_PYDANTIC and present(modules, "pydantic"):
        loaded["pydantic"] = "nothing this function does validates with pydantic"
    assert loaded == {}, f"{logical_id} loads at its cold start: {loaded}"
    assert logical_id in API_FUNCTIONS or not present(modules, "aws_lambda_powertools.event_handler")


def test_with_trace_aws_calls_the_api_functions_load_the_tracer():
    """The switch works: tracing is one environment variable away, not removed."""
    modules = loaded_modules("SitesApiFunction", {"TRACE_AWS_CALLS": "true"})

    assert present(modules, "aws_xray_sdk")
