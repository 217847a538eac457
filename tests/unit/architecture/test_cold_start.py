"""What a cold start loads (issue 16): each function's handler module is imported in a fresh
process, as Lambda does, and the modules no request of that function needs at once must not be
there. A count of modules, not a timing: `make bench` measures the time
(scripts/bench_imports.py, with `python -X importtime` evidence).

The cold start loads what the first AWS call needs (the table models: pynamodb, botocore); the use
case (services, the resolver and its routes, pydantic) loads with the first invocation
(publisher.api.entry, publisher.bootstrap.deferred), which `bench_imports.py --first` measures by
the same `load()` these tests call."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from local.template import ROOT, load_template, resources_of_type
from scripts.bench_imports import ENV, FIRST_INVOCATION

FUNCTIONS = sorted(resources_of_type(load_template(), "AWS::Serverless::Function"))
API_FUNCTIONS = {"ContentApiFunction", "PublicApiFunction", "PublisherApiFunction", "SitesApiFunction"}

NEVER_AT_COLD_START = {
    "aws_xray_sdk": "the X-Ray SDK (what Powertools' Tracer loads): only with TRACE_AWS_CALLS",
    "aws_lambda_powertools.event_handler.openapi.models": "the OpenAPI document's models: built when asked",
    "aws_lambda_powertools.event_handler.openapi.swagger_ui": "Swagger UI: loaded by GET /docs",
    "publisher.api.schemas": "the response components of the OpenAPI document",
    "aws_lambda_powertools.utilities.parser.models": "the models of every event source Powertools knows",
    "requests": "the HTTP client of the destinations: loaded by the first delivery",
    "publisher.domain.transform": "the HTML transforms and the content hash: loaded by their first use",
}
USED_BY_THE_USE_CASE = {"requests", "publisher.domain.transform"}
"""Of those, what a use case may load (the first invocation's `load()` imports its services)."""
FIRST_INVOCATION_LOADS = {
    "pydantic": "request bodies, settings and messages are validated with pydantic",
    "publisher.services": "the use cases",
}
"""Loaded by the first invocation of the functions that use the store, never by their cold start."""
API_FIRST_REQUEST_LOADS = {
    "aws_lambda_powertools.event_handler": "Powertools' resolver with request validation",
    "publisher.api.routes": "the routes",
}
WITHOUT_STORE = {"AuthorizerFunction", "ConsoleFunction"}
"""Functions that make no DynamoDB call: no table models, no pydantic, no services at all."""


def loaded_modules(
    logical_id: str, environ: dict[str, str] | None = None, *, first_invocation: bool = False
) -> set[str]:
    """sys.modules after importing the function's app.py in a fresh interpreter (and, with
    `first_invocation`, after loading what its first invocation loads, as the bench does)."""
    props = load_template()["Resources"][logical_id]["Properties"]
    path = ROOT / props["CodeUri"] / "app.py"
    code = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('app', {str(path)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['app'] = module\n"
        "spec.loader.exec_module(module)\n"
        f"{FIRST_INVOCATION if first_invocation else ''}\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )

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
    loaded |= {name: why for name, why in FIRST_INVOCATION_LOADS.items() if present(modules, name)}
    loaded |= {name: why for name, why in API_FIRST_REQUEST_LOADS.items() if present(modules, name)}
    assert loaded == {}, f"{logical_id} loads at its cold start: {loaded}"


@pytest.mark.parametrize("logical_id", sorted(set(FUNCTIONS) - WITHOUT_STORE))
def test_a_cold_start_loads_the_table_models_the_first_aws_call_needs(logical_id):
    """What the bench compares with `import boto3` includes botocore: deferring it as well would
    only move the cost the goal is about to the first request."""
    modules = loaded_modules(logical_id)

    assert {"publisher.store.models", "pynamodb.models", "botocore.client"} <= modules


@pytest.mark.parametrize("logical_id", sorted(set(FUNCTIONS) - WITHOUT_STORE))
def test_the_first_invocation_loads_the_use_case_and_still_not_the_document(logical_id):
    """`load()` is what the first invocation imports (and what `--first` measures): the use case,
    for an API function the resolver and its routes, and still none of the document's models."""
    modules = loaded_modules(logical_id, first_invocation=True)

    expected = FIRST_INVOCATION_LOADS | (API_FIRST_REQUEST_LOADS if logical_id in API_FUNCTIONS else {})
    missing = {name: why for name, why in expected.items() if not present(modules, name)}
    assert missing == {}, f"{logical_id}: its first invocation does not load {missing}"
    never = {name for name in NEVER_AT_COLD_START.keys() - USED_BY_THE_USE_CASE if present(modules, name)}
    assert never == set()


def test_with_trace_aws_calls_the_api_functions_load_the_tracer():
    """The switch works: tracing is one environment variable away, not removed."""
    modules = loaded_modules("SitesApiFunction", {"TRACE_AWS_CALLS": "true"})

    assert present(modules, "aws_xray_sdk")


def test_a_deferred_use_case_is_imported_by_its_first_call_after_the_modules_that_register(
    tmp_path, monkeypatch
):
    from publisher.bootstrap import deferred

    (tmp_path / "cold_start_units.py").write_text("KINDS = []\n\ndef run(kind):\n    return kind in KINDS\n")
    registering = "import cold_start_units\ncold_start_units.KINDS.append('a')\n"
    (tmp_path / "cold_start_unit_a.py").write_text(registering)
    monkeypatch.syspath_prepend(tmp_path)
    try:
        run = deferred("cold_start_units", "run", registered_by=("cold_start_unit_a",))
        assert "cold_start_units" not in sys.modules  # binding it imports nothing

        assert run("a") is True  # the unit registered before the first call ran
        assert run("b") is False
        assert run.__name__ == "run"
    finally:
        sys.modules.pop("cold_start_units", None)
        sys.modules.pop("cold_start_unit_a", None)


def test_the_aws_clients_are_botocore_s_so_the_first_call_does_not_import_boto3():
    code = (
        "import sys\n"
        "from publisher.aws import aws_client\n"
        "client = aws_client('sqs')\n"
        "print(type(client).__module__, 'boto3' in sys.modules, aws_client('sqs') is client)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=ENV, check=True, capture_output=True, text=True)

    assert out.stdout.split() == ["botocore.client", "False", "True"]
