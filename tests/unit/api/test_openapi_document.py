"""The OpenAPI document: valid 3.1, every status of every operation with its schema, and the
response schemas describe exactly what the views return."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from local.template import ROOT
from publisher.config import get_settings
from publisher.services.calendar import calendar_entry
from publisher.services.content import content_view
from publisher.services.deployments import deployment_view, rollback_view
from publisher.services.publishing import record_view
from publisher.services.views import integration_view, notifications_view, site_definition_view, site_view
from publisher.store.models import ContentModel, DeploymentModel, IntegrationModel, RecordModel, SiteModel

ENVIRONMENT = {
    "STAGE": "test",
    "JWT_SECRET": "a-test-secret-that-is-at-least-32-bytes-long",
    "PUBLISH_QUEUE_URL": "https://sqs.example/q",
    "CREDENTIALS_KEY_ID": "k",
    "EVENT_BUS_NAME": "b",
    "NOTIFICATION_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
    "STATIC_SITE_BUCKET_PREFIX": "publisher-site-",
    **{
        f"{name}_TABLE": "t"
        for name in (
            "SITES",
            "UNIQUE_KEYS",
            "INTEGRATIONS",
            "SETTINGS",
            "CONTENT",
            "RECORDS",
            "DEPLOYMENTS",
            "USAGE",
        )
    },
}
PUBLIC = {("get", "/health"), ("get", "/publisher/site-definition"), ("get", "/publisher/calendar.ics")}
T = "2026-11-21T14:00:00Z"


@pytest.fixture(scope="module")
def document() -> Iterator[dict[str, Any]]:
    from publisher.api.resolver import create_app, enable_docs, openapi_options
    from publisher.api.routes.all import ALL_ROUTERS

    with pytest.MonkeyPatch.context() as patch:
        for name, value in ENVIRONMENT.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        app = create_app(ALL_ROUTERS)
        enable_docs(app)
        yield json.loads(app.get_openapi_json_schema(**openapi_options()))
    get_settings.cache_clear()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def conforms(document: dict[str, Any], component: str, instance: Any) -> list[str]:
    registry = Registry().with_resource("urn:doc", DRAFT202012.create_resource(document))
    schema = {"$ref": f"urn:doc#/components/schemas/{component}"}
    validator = Draft202012Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(instance)]


TWO_OUTCOMES = {("delete", "/content/{content_id}"): [200, 202]}
"""Operations with two success statuses: done at once (200), or accepted to finish later (202)."""


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)

    assert document["openapi"].startswith("3.1")
    assert len(list(operations(document))) == 51


def test_every_operation_documents_its_success_and_every_error_in_the_envelope(document):
    for method, path, operation in operations(document):
        statuses = {int(code) for code in operation["responses"]}
        success = sorted(code for code in statuses if code < 300)
        assert success == TWO_OUTCOMES.get((method, path), success[:1]), (method, path, statuses)
        assert 500 in statuses and 429 in statuses, (method, path)
        for code, response in operation["responses"].items():
            (media_type,) = response["content"]
            schema = response["content"][media_type]["schema"]
            if int(code) >= 400:
                assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (method, path, code)
            elif path == "/publisher/calendar.ics":
                assert (media_type, schema) == ("text/calendar", {"type": "string"})
            else:
                assert schema["$ref"].endswith("Envelope"), (method, path)
        if "requestBody" in operation:
            assert {400, 413, 415, 422} <= statuses, (method, path)


def test_public_routes_need_no_token_and_the_others_a_bearer_token(document):
    assert document["security"] == [{"bearerAuth": []}]
    for method, path, operation in operations(document):
        statuses = {int(code) for code in operation["responses"]}
        if (method, path) in PUBLIC:
            assert operation["security"] == [], path
            assert 403 not in statuses
        else:
            assert "security" not in operation, path
            assert {401, 403} <= statuses, (method, path)
    unauthenticated_401 = {
        path
        for method, path, op in operations(document)
        if (method, path) in PUBLIC and "401" in op["responses"]
    }
    assert unauthenticated_401 == {"/publisher/calendar.ics"}  # a wrong feed token


def test_no_powertools_default_422_schema_is_left(document):
    schemas = document["components"]["schemas"]

    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["Taxonomies"]["properties"]["tags"]["default"] == []  # the request model, untouched


def test_the_error_envelope_describes_errors_with_and_without_fields(document):
    assert (
        conforms(document, "ErrorEnvelope", {"success": False, "error": "no such site", "request_id": "r"})
        == []
    )
    invalid = {"success": False, "error": "bad", "errors": {"name": ["is required"]}, "request_id": "r"}
    assert conforms(document, "ErrorEnvelope", invalid) == []
    assert conforms(document, "ErrorEnvelope", {"success": True, "error": "x", "request_id": "r"}) != []


def _site() -> SiteModel:
    return SiteModel(
        site_id="s1",
        account_id="a1",
        name="Recipes",
        slug="recipes",
        content_types=["post"],
        taxonomies={"categories": ["Soup"], "tags": []},
        url_structure={"post": "/{slug}/"},
        created_at=T,
        updated_at=T,
    )


def _content(**fields: Any) -> ContentModel:
    return ContentModel(
        content_id="c1",
        account_id="a1",
        site_id="s1",
        title="Soup",
        slug="soup",
        status="approved",
        site_status="scheduled",
        scheduled_publish_at=T,
        calendar_at=T,
        site_status_updated_at=T,
        created_at=T,
        updated_at=T,
        **fields,
    )


def _record() -> RecordModel:
    return RecordModel(
        record_id="r1",
        account_id="a1",
        site_id="s1",
        content_id="c1",
        destination="s3",
        status="failed",
        error="timeout",
        attempts=2,
        next_retry_at=T,
        created_at=T,
        updated_at=T,
    )


@pytest.mark.parametrize(
    ("component", "view"),
    [
        ("Site", lambda: site_view(_site())),
        (
            "Site",
            lambda: site_view(
                SiteModel(site_id="s", account_id="a", name="n", slug="n", created_at=T, updated_at=T)
            ),
        ),
        ("SiteDefinition", lambda: site_definition_view(_site())),
        ("NotificationSettings", lambda: notifications_view("s1", None, has_secret=False)),
        (
            "NotificationSettings",
            lambda: notifications_view(
                "s1",
                {
                    "webhook_url": "https://hooks.example/n",
                    "emails": ["ops@example.com"],
                    "events": ["publication.failed"],
                    "allow_insecure_http": False,
                    "updated_at": T,
                },
                has_secret=True,
                signing_secret="whsec_shown-once",
            ),
        ),
        (
            "Integration",
            lambda: integration_view(
                IntegrationModel(
                    site_id="s1",
                    destination="webhook",
                    account_id="a1",
                    config={"url": "https://hooks.example/x"},
                    credentials_ciphertext=b"sealed",
                    last_verified_at=T,
                    last_verification={"ok": False, "message": "refused", "checked_at": T},
                    created_at=T,
                    updated_at=T,
                )
            ),
        ),
        ("Content", lambda: content_view(_content(), ZoneInfo("Europe/Paris"))),
        (
            "Content",
            lambda: content_view(
                _content(excerpt="e", last_error="x", published_at=T, sector_id="z"), ZoneInfo("Asia/Tokyo")
            ),
        ),
        ("CalendarEntry", lambda: calendar_entry(_content(), ZoneInfo("America/New_York"))),
        ("PublishingRecord", lambda: record_view(_record())),
        (
            "DeploymentRecord",
            lambda: deployment_view(
                DeploymentModel(
                    deployment_id="d1",
                    account_id="a1",
                    site_id="s1",
                    deployment_type="full",
                    status="completed",
                    items_total=3,
                    items_deployed=2,
                    items_failed=1,
                    started_at=T,
                    completed_at=T,
                    error_log=["c3: timeout"],
                    created_at=T,
                    updated_at=T,
                )
            ),
        ),
    ],
)
def test_each_resource_schema_describes_what_its_view_returns(document, component, view):
    shown = json.loads(json.dumps(view(), default=str))

    assert conforms(document, component, shown) == []
    assert set(document["components"]["schemas"][component]["required"]) == set(shown)


def test_the_api_functions_do_not_import_the_response_models_on_a_cold_start():
    """The models are for the document only: defining them costs more than a cold start should.
    The routes are built by the first request (publisher.api.entry), so one is made first."""
    code = (
        "import importlib.util, sys, types\n"
        "spec = importlib.util.spec_from_file_location('app', 'functions/sites_api/app.py')\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "context = types.SimpleNamespace(function_name='f', function_version='1', aws_request_id='r',\n"
        "    invoked_function_arn='arn:aws:lambda:us-east-1:1:function:f', memory_limit_in_mb=128)\n"
        "reply = module.lambda_handler({'httpMethod': 'GET', 'path': '/api/v1/sites', 'headers': {},\n"
        "    'requestContext': {'requestId': 'r'}}, context)\n"
        "loaded = [name in sys.modules for name in ('publisher.api.schemas', 'publisher.api.routes.sites')]\n"
        "print(reply['statusCode'], *loaded)"
    )
    env = {
        **ENVIRONMENT,
        "PYTHONPATH": str(ROOT / "layers" / "publisher"),
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert done.stdout.split()[-3:] == ["401", "False", "True"]


def _parameters(document: dict[str, Any], method: str, path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in document["paths"][path][method].get("parameters", [])}


def test_query_parameters_the_service_needs_are_documented_required(document):
    required = {
        ("get", "/publisher/site-definition"): {"site"},
        ("get", "/publisher/publish/status"): {"content_id"},
        ("get", "/publisher/calendar"): {"start", "end"},  # without site_id: every site of the account
        ("get", "/publisher/queue"): set(),
        ("get", "/publisher/calendar.ics"): set(),  # a missing token or site is a 401/404, not a 422
    }
    for (method, path), names in required.items():
        query = {n: p for n, p in _parameters(document, method, path).items() if p["in"] == "query"}
        assert {name for name, p in query.items() if p.get("required")} == names, path


def test_the_destination_path_parameter_is_an_enum_of_the_destinations(document):
    for method, path in (
        ("put", "/sites/{site_id}/integrations/{destination}"),
        ("delete", "/sites/{site_id}/integrations/{destination}"),
        ("post", "/sites/{site_id}/integrations/{destination}/test"),
    ):
        schema = _parameters(document, method, path)["destination"]["schema"]
        assert set(schema["enum"]) == {"wordpress", "ghost", "webflow", "s3", "webhook"}, path


def test_the_rollback_reply_is_202_with_the_deployment_and_its_live_counters(document):
    responses = document["paths"]["/publisher/deployments/{deployment_id}/rollback"]["post"]["responses"]
    assert "200" not in responses
    assert responses["202"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/DeploymentRollbackEnvelope"
    )
    state = {
        "state": "done",
        "complete": False,
        "retracted": 1,
        "kept_newer": 0,
        "failed": 1,
        "failures": [
            {"record_id": "r2", "content_id": "c2", "destination": "ghost", "outcome": "failed", "error": "x"}
        ],
        "started_at": T,
        "finished_at": T,
    }
    deployment = DeploymentModel(
        deployment_id="d1",
        account_id="a1",
        site_id="s1",
        deployment_type="full",
        status="completed",
        metadata={"rollback": state},
        created_at=T,
        updated_at=T,
    )
    shown = json.loads(json.dumps(rollback_view(deployment), default=str))
    assert shown["rollback"] == state
    assert conforms(document, "DeploymentRollback", shown) == []
    assert conforms(document, "DeploymentRollback", {**shown, "rollback": {"complete": True}}) != []
    assert conforms(document, "DeploymentRollback", {**shown, "rollback": {**state, "state": "paused"}}) != []


def test_lists_whose_items_must_differ_say_unique_items(document):
    schemas = document["components"]["schemas"]
    site = schemas["SiteCreate"]["properties"]
    assert site["content_types"]["uniqueItems"] is True
    assert site["url_structure"]["additionalProperties"] is False
    settings = schemas["SettingsPut"]["properties"]
    assert settings["publish_days"]["uniqueItems"] is settings["blackout_dates"]["uniqueItems"] is True
