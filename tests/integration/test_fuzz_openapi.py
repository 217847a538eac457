"""Schemathesis over our own `/api/v1/openapi.json`, as an API client library would be tested.

The template's API is served on a free loopback port by the local runner's gateway (routes, the
real authorizer, the functions) on moto. An owner's JWT calls every operation of the document
with positive and negative data (examples, coverage and fuzzing phases, a fixed seed), and every
reply goes through every check schemathesis has. Path ids are those of a real site, content,
record and deployment in half the cases, so operations get past their 404.

A failure fails the test unless it is in EXPECTED_FAILURES below (and then it must occur).
`FUZZ_REPORT=<file>` writes every failure seen, by operation and check, as JSON.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation

from local.api import ApiServer
from local.aws import provision
from publisher import bootstrap
from publisher.config import get_settings
from tests.support.apigw import gateway
from tests.support.fixtures import token

# (operation, check) pairs allowed to fail, each with its reason. Empty: every operation passes
# every check. An entry that no longer fails fails the test, so the list cannot go stale.
EXPECTED_FAILURES: set[tuple[str, str]] = set()

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "missing_required_header",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
]
CURSOR = "an opaque ?cursor=: only one the API handed out decodes (any other is a 400)"
UNEXPRESSIBLE: dict[tuple[str, str], tuple[tuple[int, ...], str]] = {
    ("GET", "/sites"): ((400,), CURSOR),
    ("GET", "/content"): (
        (400, 422),
        CURSOR + "; q goes with site_id and must hold a word, at most 10 (cross-field rules)",
    ),
    ("GET", "/content/{content_id}/preview"): (
        (422,),
        "destination: an integration of the content's site (stored state)",
    ),
    ("POST", "/content/{content_id}/schedule"): (
        (422,),
        "destinations: enabled integrations of the content's site (stored state); "
        "scheduled_publish_at a future time in the years 2000 to 2100",
    ),
    ("PATCH", "/content/{content_id}"): (
        (422,),
        "unpublish_at: a future time (relative to now) in the years 2000 to 2100",
    ),
    ("GET", "/publisher/records"): ((400,), CURSOR),
    ("GET", "/publisher/publishing-records"): ((400,), CURSOR),
    ("GET", "/publisher/deployments"): ((400,), CURSOR),
    ("GET", "/publisher/queue"): ((400,), CURSOR),
    ("GET", "/content/{content_id}/history"): ((400,), CURSOR),
    ("POST", "/content/bulk"): (
        (422,),
        "scheduled_publish_at goes only with the schedule action (cross-field)",
    ),
    ("GET", "/publisher/calendar"): (
        (400, 422),
        CURSOR + "; end after start and at most 92 days later, each a date or an offset time "
        "in the years 2000 to 2100 (cross-field rules)",
    ),
    ("POST", "/sites"): ((422,), "account_id: a caller who is not a system caller may name only its own"),
    ("PUT", "/sites/{site_id}/integrations/{destination}"): (
        (422,),
        "config and credentials: each destination's own fields, chosen by the path's {destination}; "
        "credentials needed until some are stored (a rule across path, body and stored state)",
    ),
    ("PUT", "/sites/{site_id}/notifications"): (
        (422,),
        "a webhook_url, emails or both (cross-field); the webhook URL under the outbound policy "
        "(https, no private, loopback or metadata address; http only with allow_insecure_http, and "
        "that only where the deployment allows it)",
    ),
    ("PUT", "/sites/{site_id}/publishing-settings"): (
        (422,),
        "a slot's end after its start, slots that do not overlap, weekly limit >= daily and "
        "monthly >= weekly (cross-field rules); timezone a name in the IANA database",
    ),
}
"""Schema-valid requests the API may still refuse, by operation: each status with the rule JSON
Schema cannot express that refuses them. Only these operations' positive_data_acceptance
accepts them; every other check, and every other operation, keeps schemathesis' defaults."""
ACCEPTANCE = POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES


def _operation_config(method: str, path: str, statuses: tuple[int, ...]) -> str:
    expected = json.dumps([*ACCEPTANCE, *map(str, statuses)])
    return f"""
[[operations]]
include-name = "{method} {path}"
checks.positive_data_acceptance.expected-statuses = {expected}
"""


CONFIG = f"""
seed = 20261121

[generation]
deterministic = true
max-examples = 25

[checks]
{chr(10).join(f"{name}.enabled = true" for name in CHECKS)}
unsupported_method.enabled = false

[phases.coverage]
unexpected-methods = ["DELETE", "PATCH", "PUT", "POST", "GET"]
{"".join(_operation_config(*operation, statuses) for operation, (statuses, _) in UNEXPRESSIBLE.items())}"""
SURVEY = bool(os.environ.get("FUZZ_SURVEY"))
"""`FUZZ_SURVEY=1`: record every failure (with FUZZ_REPORT) and fail nothing: the table of a run."""
KNOWN: dict[str, str] = {}
"""Path parameter → a real id (filled by the `api_schema` fixture)."""
SEEN: Counter[tuple[str, str]] = Counter()
RESULTS: list[Any] = []
SAMPLES: dict[tuple[str, str], str] = {}
CHECKED: Counter[str] = Counter()
"""Validated cases per operation."""
CASES_RUN: set[str] = set()
"""Operations the fuzz test ran in this session."""


def _document() -> dict[str, Any]:
    """The document `GET /api/v1/openapi.json` serves (the fixture checks that it is the same),
    generated here because schemathesis needs the operations when pytest collects the tests."""
    from publisher.api.resolver import create_app, enable_docs, openapi_options
    from publisher.api.routes.all import ALL_ROUTERS

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JWT_SECRET", "collecting-the-document-needs-no-real-secret")
        for name in (
            *TABLES,
            "STAGE",
            "PUBLISH_QUEUE_URL",
            "CREDENTIALS_KEY_ID",
            "EVENT_BUS_NAME",
            "NOTIFICATION_TOPIC_ARN",
        ):
            patch.setenv(name, os.environ.get(name, "collect"))
        patch.setenv("STATIC_SITE_BUCKET_PREFIX", "publisher-site-")
        get_settings.cache_clear()
        app = create_app(ALL_ROUTERS)
        enable_docs(app)
        document = json.loads(app.get_openapi_json_schema(**openapi_options()))
    get_settings.cache_clear()
    return document


@pytest.fixture(scope="module")
def api(moto_endpoint: str) -> Iterator[dict[str, str]]:
    """The API on a free port over a fresh moto, with the fixtures' ids and an owner's token
    (module scope: one stack for every operation, as a client would meet it)."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    stack = provision(moto_endpoint)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in stack.function_environment("SitesApiFunction").items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        bootstrap.reset()
        server = ApiServer(gateway(), port=0)
        server.start()
        try:
            base = f"{server.url}/api/v1"
            owner = token("acct-fuzz", "owner")
            served = requests.get(f"{base}/openapi.json", timeout=30).json()
            assert served == DOCUMENT, "the fuzzed document must be the one the API serves"
            KNOWN.update(_fixtures(base, {"Authorization": f"Bearer {owner}"}))
            yield {"base_url": base, "token": owner}
        finally:
            server.stop()
            bootstrap.reset()
            get_settings.cache_clear()


def _fixtures(api: str, auth: dict[str, str]) -> dict[str, str]:
    """A site with an s3 integration, approved content, a publication and a deployment."""

    def send(method: str, path: str, body: dict[str, Any], status: int) -> dict[str, Any]:
        reply = requests.request(method, f"{api}{path}", json=body, headers=auth, timeout=60)
        assert reply.status_code == status, reply.text
        return reply.json()["data"]

    site = send("POST", "/sites/", {"name": "Fuzz", "slug": "fuzz"}, 201)
    integration = {"config": {"bucket": "publisher-site-fuzz", "public_base_url": "https://fuzz.example"}}
    send("PUT", f"/sites/{site['id']}/integrations/s3/", integration, 200)
    content = {"site_id": site["id"], "title": "Soup", "html": "<p>Hot</p>", "status": "approved"}
    item = send("POST", "/content/", content, 201)
    published = send("POST", "/publisher/publish/", {"content_id": item["id"]}, 202)
    deployment = send(
        "POST", "/publisher/deployments/", {"site_id": site["id"], "deployment_type": "full"}, 202
    )
    return {
        "site_id": site["id"],
        "destination": "s3",
        "content_id": item["id"],
        "record_id": published["records"][0]["id"],
        "deployment_id": deployment["id"],
    }


def flatmap_path_parameters(context, path_parameters: dict[str, Any]):
    """Half the cases with the real ids, half as generated (unknown ids, negative data)."""
    known = {name: KNOWN[name] for name in path_parameters or () if name in KNOWN}
    if not known:
        return st.just(path_parameters)
    return st.sampled_from([{**path_parameters, **known}, path_parameters])


def _auth(case: Any, token: str) -> dict[str, str]:
    """The owner's token, except in a case that leaves the Authorization header out on purpose
    (negative headers): the server must see it missing, or the case claims a negation that never
    reached it."""
    headers = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if headers is not None and headers.mode.is_negative and "Authorization" not in (case.headers or {}):
        return {}
    return {"Authorization": f"Bearer {token}"}


def after_validate(context, case, response, results) -> None:
    CHECKED[case.operation.label] += 1
    RESULTS[:] = [result.name for result in results if result.failure is not None]
    for result in results:
        if result.failure is not None:
            sample = f"{response.status_code} {result.failure.title}: {result.failure.message[:300]}"
            SAMPLES.setdefault(
                (case.operation.label, result.name), f"{case.as_curl_command()[:600]}\n -> {sample}"
            )


TABLES = [
    f"{name}_TABLE" for name in ("SITES", "UNIQUE_KEYS", "INTEGRATIONS", "SETTINGS", "CONTENT", "RECORDS")
]
TABLES += ["DEPLOYMENTS_TABLE", "USAGE_TABLE"]
DOCUMENT = _document()
DOCUMENT_OPERATIONS = {
    f"{method.upper()} {path}" for path, item in DOCUMENT["paths"].items() for method in item
}
schema = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_str(CONFIG))
schema.hook(flatmap_path_parameters)
schema.hook(after_validate)


@schema.parametrize()
@settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_document(case, api):
    CASES_RUN.add(case.operation.label)
    try:
        case.call_and_validate(base_url=api["base_url"], headers=_auth(case, api["token"]), timeout=60)
    except FailureGroup:
        failed = [(case.operation.label, name) for name in RESULTS]
        SEEN.update(failed)
        _report()
        if SURVEY:
            return  # count every failing case instead of stopping at the first
        if not failed or any(pair not in EXPECTED_FAILURES for pair in failed):
            raise


def _report() -> None:
    if path := os.environ.get("FUZZ_REPORT"):
        rows = [
            {"operation": op, "check": check, "cases": count, "example": SAMPLES.get((op, check))}
            for (op, check), count in sorted(SEEN.items())
        ]
        with open(path, "w") as out:
            json.dump({"cases": dict(CHECKED), "failures": rows}, out, indent=1)


def test_every_expected_failure_still_occurs():
    """Strict: an expected failure that no longer happens must leave EXPECTED_FAILURES."""
    if not CASES_RUN:
        pytest.skip("the fuzz test did not run in this session")
    _report()
    assert CASES_RUN == DOCUMENT_OPERATIONS, "every operation must have run"
    assert set(SEEN) >= EXPECTED_FAILURES, (
        f"fixed, remove from EXPECTED_FAILURES: {sorted(EXPECTED_FAILURES - set(SEEN))}"
    )
