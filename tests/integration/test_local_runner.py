"""The local runner as a user runs it: `python -m local start` in a subprocess, called over real
HTTP; and its SQS poller (the code `start` runs) on moto's real SQS with a test handler."""

from __future__ import annotations

import copy
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jwt
import pytest

from local.aws import LOCAL_JWT_SECRET, Stack, provision
from local.events import ApiTarget, HttpRequest, api_gateway_event
from local.functions import Functions
from local.queues import sqs_sources, start_pollers
from local.runner import moto_server
from local.template import ROOT, load_template
from local.workers import PooledFunctions
from publisher.tokens import verify_token
from tests.support.fixtures import token
from tests.support.local_runner import LocalRunner, is_listening, local_token, running_local, wait_until

SCHEDULE_CLOCK_SPEED = "300"  # rate(15 minutes) ticks every 3 real seconds


@pytest.fixture(scope="module")
def local() -> Iterator[LocalRunner]:
    with running_local("--clock-speed", SCHEDULE_CLOCK_SPEED) as runner:
        yield runner


def invocations(runner: LocalRunner, function: str) -> int:
    return len(re.findall(rf"invoke {function} \[", runner.log()))


# ------------------------------------------------------------------------------- the API


def test_given_no_token_when_health_is_asked_then_it_answers_in_the_envelope(local: LocalRunner) -> None:
    reply = local.call("GET", "/api/v1/health/")

    assert reply.status_code == 200
    assert reply.json()["success"] is True
    assert reply.json()["data"] == {"status": "ok"}
    assert reply.json()["request_id"] == reply.headers["x-amzn-RequestId"]


def test_given_a_token_when_a_site_is_created_then_it_can_be_read_and_listed(local: LocalRunner) -> None:
    owner = token(f"acct-{uuid.uuid4().hex[:8]}")

    created = local.call("POST", "/api/v1/sites/", owner, json={"name": "Runner Site"})
    site_id = created.json()["data"]["id"]
    read = local.call("GET", f"/api/v1/sites/{site_id}", owner)  # without the trailing slash
    listed = local.call("GET", "/api/v1/sites/", owner)

    assert created.status_code == 201
    assert read.status_code == 200
    assert read.json()["data"]["name"] == "Runner Site"
    assert [site["id"] for site in listed.json()["data"]] == [site_id]


def test_given_another_accounts_site_when_it_is_read_then_404(local: LocalRunner) -> None:
    site_id = local.call("POST", "/api/v1/sites/", token("acct-owner-x"), json={"name": "Mine"}).json()[
        "data"
    ]["id"]

    reply = local.call("GET", f"/api/v1/sites/{site_id}/", token("acct-stranger-y"))

    assert reply.status_code == 404
    assert reply.json()["success"] is False


def test_given_a_viewer_when_it_writes_then_the_function_sees_its_role_and_answers_403(
    local: LocalRunner,
) -> None:
    reply = local.call("POST", "/api/v1/sites/", token("acct-viewer", role="viewer"), json={"name": "Nope"})

    assert reply.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {
            "Authorization": "Bearer "
            + token("acct-1", secret="a-forged-secret-that-is-long-enough-for-hs256")
        },
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["no-token", "forged-token", "not-bearer"],
)
def test_given_no_valid_token_when_a_private_route_is_called_then_401_in_the_gateway_envelope(
    local: LocalRunner, headers: dict[str, str]
) -> None:
    reply = local.call("GET", "/api/v1/sites/", headers=headers)

    assert reply.status_code == 401
    assert reply.json() == {
        "success": False,
        "error": "Unauthorized",
        "request_id": reply.headers["x-amzn-RequestId"],
    }
    assert reply.headers["Access-Control-Allow-Origin"] == "*"  # the template's Gateway4xxEnvelope


def test_given_an_unknown_route_when_it_is_called_then_404_in_the_envelope(local: LocalRunner) -> None:
    reply = local.call("GET", "/api/v1/no-such-thing/", token("acct-1"))

    assert reply.status_code == 404
    assert reply.json()["success"] is False
    assert reply.json()["error"] == "no such route"


def test_given_a_known_path_when_its_method_is_not_routed_then_404(local: LocalRunner) -> None:
    reply = local.call("DELETE", "/api/v1/health/")

    assert reply.status_code == 404


def test_given_the_templates_cors_when_a_preflight_comes_then_it_is_answered_without_auth(
    local: LocalRunner,
) -> None:
    reply = local.call("OPTIONS", "/api/v1/sites/", headers={"Origin": "https://app.example"})

    assert reply.status_code == 200
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert reply.headers["Access-Control-Allow-Methods"] == "GET,POST,PUT,PATCH,DELETE,OPTIONS"
    assert reply.headers["Access-Control-Allow-Headers"] == "Authorization,Content-Type"
    assert reply.headers["Access-Control-Max-Age"] == "600"


def test_given_an_invalid_body_when_posted_then_the_functions_422_and_field_errors_pass_through(
    local: LocalRunner,
) -> None:
    reply = local.call("POST", "/api/v1/sites/", token("acct-1"), json={"url": "not a url"})

    assert reply.status_code == 422
    assert reply.json()["success"] is False
    assert set(reply.json()["errors"]) >= {"name", "url"}


def test_given_a_token_used_twice_when_within_reauthorize_every_then_the_authorizer_runs_once(
    local: LocalRunner,
) -> None:
    fresh = token(f"acct-cache-{uuid.uuid4().hex[:8]}")
    before = invocations(local, "AuthorizerFunction")

    first = local.call("GET", "/api/v1/sites/", fresh)
    second = local.call("GET", "/api/v1/sites/", fresh)

    assert (first.status_code, second.status_code) == (200, 200)
    assert invocations(local, "AuthorizerFunction") == before + 1


def test_given_jwt_secret_unset_when_started_then_one_warning_line_says_the_default_is_used(
    local: LocalRunner,
) -> None:
    warnings = [line for line in local.log().splitlines() if "JWT_SECRET" in line]

    assert len(warnings) == 1
    assert "public default" in warnings[0]


@pytest.mark.parametrize(
    "claims",
    [
        {"account_id": 42},
        {"role": ["owner"]},
        {"exp": int(time.time()) + 25 * 3600},
        {"exp": None},
    ],
    ids=["int-account", "list-role", "valid-25-hours", "no-exp"],
)
def test_given_a_token_breaking_the_security_rules_when_it_is_used_then_401(
    local: LocalRunner, claims: dict[str, Any]
) -> None:
    now = int(time.time())
    payload = {
        "sub": "u",
        "account_id": "acct-rules",
        "role": "owner",
        "iat": now,
        "exp": now + 3600,
        **claims,
    }
    payload = {name: value for name, value in payload.items() if value is not None}  # None: no such claim
    forged = jwt.encode(payload, LOCAL_JWT_SECRET, algorithm="HS256")

    reply = local.call("GET", "/api/v1/sites/", forged)

    assert reply.status_code == 401
    assert reply.json()["success"] is False


def raw_request(local: LocalRunner, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send a request head as is (no client library limits) and read the whole reply."""
    with socket.create_connection(("127.0.0.1", local.api_port), timeout=30) as connection:
        connection.sendall(head)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head_part, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head_part.decode("latin-1").split("\r\n")
    headers = {
        name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)
    }
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (
            b"GET /api/v1/sites/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + b"a" * 100_000
            + b"\r\n\r\n",
            431,
        ),
        (b"GET /api/v1/" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (
            b"GET /api/v1/health/ HTTP/1.1\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(150)) + b"\r\n",
            431,
        ),
        (b"NONSENSE\r\n\r\n", 400),
        (b"BREW /api/v1/health/ HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    ],
    ids=["100kb-authorization", "70kb-request-line", "150-headers", "malformed", "unknown-method"],
)
def test_given_a_request_the_http_server_refuses_then_the_reply_is_the_json_envelope(
    local: LocalRunner, head: bytes, status: int
) -> None:
    code, headers, body = raw_request(local, head)

    assert code == status
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {
        "success": False,
        "error": json.loads(body)["error"],
        "request_id": headers["x-amzn-requestid"],
    }
    assert json.loads(body)["error"].startswith("the request") or status == 404


def test_given_eight_concurrent_clients_when_each_writes_and_reads_back_then_no_write_is_lost(
    local: LocalRunner,
) -> None:
    owner = token(f"acct-many-{uuid.uuid4().hex[:8]}")
    site_id = local.call("POST", "/api/v1/sites/", owner, json={"name": "Busy"}).json()["data"]["id"]

    def client(number: int) -> list[tuple[str, str, str]]:
        seen = []
        for item in range(5):
            marker = f"<p>client {number} item {item}</p>"
            body = {"site_id": site_id, "title": "The same title", "html": marker}  # slugs collide
            created = local.call("POST", "/api/v1/content/", owner, json=body)
            assert created.status_code == 201, created.text
            content_id = created.json()["data"]["id"]
            seen.append((marker, created.json()["data"]["html"], content_id))
        return seen

    with ThreadPoolExecutor(8) as pool:
        results = [item for items in pool.map(client, range(8)) for item in items]

    assert [sent for sent, answered, _ in results] == [answered for _, answered, _ in results]  # own replies
    read_back = {
        content_id: local.call("GET", f"/api/v1/content/{content_id}", owner) for _, _, content_id in results
    }
    assert {content_id: reply.status_code for content_id, reply in read_back.items()} == {
        content_id: 200 for _, _, content_id in results
    }
    assert len(read_back) == 40
    assert sorted(reply.json()["data"]["html"] for reply in read_back.values()) == sorted(
        m for m, _, _ in results
    )


# ------------------------------------------------------------------------------- JWT_SECRET

OWN_SECRET = "a-deployment-secret-that-is-not-the-readme-default"


@pytest.fixture(scope="module")
def local_with_secret() -> Iterator[LocalRunner]:
    with running_local("--no-schedules", "--api-workers", "1", env={"JWT_SECRET": OWN_SECRET}) as runner:
        yield runner


def test_given_jwt_secret_when_started_then_tokens_of_the_default_secret_are_refused(
    local_with_secret: LocalRunner,
) -> None:
    account = f"acct-secret-{uuid.uuid4().hex[:8]}"

    with_default = local_with_secret.call("GET", "/api/v1/sites/", token(account, secret=LOCAL_JWT_SECRET))
    with_own = local_with_secret.call("GET", "/api/v1/sites/", token(account, secret=OWN_SECRET))

    assert with_default.status_code == 401
    assert with_own.status_code == 200
    assert "JWT_SECRET" not in local_with_secret.log()  # no warning: the secret is set


def test_given_jwt_secret_when_a_token_is_minted_then_it_is_signed_with_it(
    local_with_secret: LocalRunner,
) -> None:
    minted = local_token("acct-cli-secret", "editor", env={"JWT_SECRET": OWN_SECRET})

    claims = verify_token(OWN_SECRET, minted)
    with pytest.raises(Exception, match="not valid"):
        verify_token(LOCAL_JWT_SECRET, minted)
    assert (claims["account_id"], claims["role"]) == ("acct-cli-secret", "editor")
    assert local_with_secret.call("GET", "/api/v1/sites/", minted).status_code == 200


def test_given_jwt_secret_when_the_authorizer_is_invoked_then_it_verifies_with_it(tmp_path) -> None:
    def invoke(signed_with: str) -> subprocess.CompletedProcess:
        event = {"type": "TOKEN", "authorizationToken": f"Bearer {token('acct-i', secret=signed_with)}"}
        event["methodArn"] = "arn:aws:execute-api:us-east-1:123456789012:localapi00/dev/GET/api/v1/sites"
        (tmp_path / "event.json").write_text(json.dumps(event))
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "local",
                "invoke",
                "AuthorizerFunction",
                "-e",
                str(tmp_path / "event.json"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "JWT_SECRET": OWN_SECRET},
        )

    allowed, refused = invoke(OWN_SECRET), invoke(LOCAL_JWT_SECRET)

    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["context"]["account_id"] == "acct-i"
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["errorMessage"] == "Unauthorized"


def test_given_a_lifetime_over_the_maximum_then_the_token_verb_refuses_to_mint_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "local", "token", "--account", "a", "--hours", "25"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert done.stdout == ""
    assert "at most 24 hours" in done.stderr


# ------------------------------------------------------------------------------- schedules and invoke


def test_given_a_fast_clock_when_time_passes_then_the_scheduled_function_runs_with_a_scheduled_event(
    local: LocalRunner,
) -> None:
    line = local.wait_for_log("invoke ScheduleApprovedContentFunction [schedule Every15Minutes]")

    assert line.endswith("-> ok")


def test_given_a_running_start_when_a_function_is_invoked_then_it_uses_the_same_moto(
    local: LocalRunner, tmp_path
) -> None:
    account = f"acct-invoke-{uuid.uuid4().hex[:8]}"
    site_id = local.call("POST", "/api/v1/sites/", token(account), json={"name": "Seen"}).json()["data"]["id"]
    event = api_gateway_event(
        HttpRequest("GET", "/api/v1/sites"),
        ApiTarget("/api/v1/sites"),
        request_id="invoke-test",
        authorizer={"principalId": "u", "sub": "u", "account_id": account, "role": "owner"},
    )
    (tmp_path / "event.json").write_text(json.dumps(event))

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "local",
            "invoke",
            "SitesApiFunction",
            "-e",
            str(tmp_path / "event.json"),
            "--endpoint-url",
            local.moto_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["statusCode"] == 200
    assert [site["id"] for site in json.loads(result["body"])["data"]] == [site_id]


def test_given_no_running_start_when_a_function_is_invoked_then_a_freshly_provisioned_moto_serves_it(
    tmp_path,
) -> None:
    event = api_gateway_event(
        HttpRequest("GET", "/api/v1/sites/"),
        ApiTarget("/api/v1/sites"),
        request_id="fresh-test",
        authorizer={"principalId": "u", "sub": "u", "account_id": "acct-fresh", "role": "owner"},
    )
    (tmp_path / "event.json").write_text(json.dumps(event))

    done = subprocess.run(
        [sys.executable, "-m", "local", "invoke", "SitesApiFunction", "-e", str(tmp_path / "event.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["statusCode"] == 200  # the tables exist: the template was provisioned
    assert json.loads(result["body"])["data"] == []
    assert "invoke SitesApiFunction [invoke]" in done.stderr


def test_given_the_token_verb_then_it_prints_a_token_for_the_local_secret() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "local", "token", "--account", "acct-cli", "--role", "editor"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    claims = verify_token(LOCAL_JWT_SECRET, done.stdout.strip())
    assert (claims["account_id"], claims["role"]) == ("acct-cli", "editor")


def test_given_a_running_start_when_the_demo_seeds_it_then_the_site_and_its_s3_integration_exist(
    local: LocalRunner,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "local", "demo", "--api", local.api_url, "--endpoint-url", local.moto_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    demo_token = re.search(r"export TOKEN=(\S+)", done.stdout)[1]
    sites = local.call("GET", "/api/v1/sites/", demo_token).json()["data"]
    assert [site["slug"] for site in sites] == ["demo-site"]
    integrations = local.call("GET", f"/api/v1/sites/{sites[0]['id']}/integrations/", demo_token).json()[
        "data"
    ]
    assert [(item["destination"], item["config"]["bucket"]) for item in integrations] == [
        ("s3", "publisher-site-demo")
    ]
    steps = [
        line.split()[0] for line in done.stdout.splitlines() if line.startswith("  ") and "curl" not in line
    ]
    assert set(steps) <= {"ok", "skip", "export"}  # a feature that has not landed yet is skipped, not failed
    assert done.stdout.count("curl ") == 3


def test_given_a_running_start_when_ctrl_c_then_it_stops_everything_and_exits_0() -> None:
    with running_local("--no-schedules") as runner:
        assert runner.call("GET", "/api/v1/health").status_code == 200

        code = runner.stop()

        assert code == 0
        assert "stopped" in runner.log()
        assert "invoke ScheduleApprovedContentFunction" not in runner.log()
        assert not is_listening(runner.api_port)
        assert not is_listening(runner.moto_port)


# ------------------------------------------------------------------------------- SQS poller


def worker_fragment(prefix: str, visibility_timeout: int = 1) -> dict[str, Any]:
    """The template's publish queue, its DLQ and the worker's SQS event, pointed at the test
    handler; queue names made unique and the visibility timeout made tiny (by default)."""
    template = load_template()
    resources = template["Resources"]
    queue, dlq = (copy.deepcopy(resources[name]) for name in ("PublishQueue", "PublishDeadLetterQueue"))
    queue["Properties"].update(QueueName=f"{prefix}-publish", VisibilityTimeout=visibility_timeout)
    dlq["Properties"]["QueueName"] = f"{prefix}-publish-dlq"
    worker = copy.deepcopy(resources["PublishWorkerFunction"])
    worker["Properties"].update(CodeUri="tests/support/", Handler="sqs_test_handler.lambda_handler")
    return {
        "Parameters": template["Parameters"],
        "Resources": {
            "PublishWorkerFunction": worker,
            "PublishQueue": queue,
            "PublishDeadLetterQueue": dlq,
        },
    }


def both_queues_fragment(prefix: str) -> dict[str, Any]:
    """`worker_fragment` (visibility 60 s) with the work queue, its DLQ and WorkUnitsFunction's SQS
    event too, both functions pointed at the test handler."""
    fragment = worker_fragment(prefix, visibility_timeout=60)
    resources = load_template()["Resources"]
    queue, dlq = (copy.deepcopy(resources[name]) for name in ("WorkQueue", "WorkDeadLetterQueue"))
    queue["Properties"].update(QueueName=f"{prefix}-work", VisibilityTimeout=60)
    dlq["Properties"]["QueueName"] = f"{prefix}-work-dlq"
    units = copy.deepcopy(resources["WorkUnitsFunction"])
    units["Properties"].update(CodeUri="tests/support/", Handler="sqs_test_handler.lambda_handler")
    fragment["Resources"].update(WorkUnitsFunction=units, WorkQueue=queue, WorkDeadLetterQueue=dlq)
    return fragment


@pytest.fixture(scope="module")
def worker() -> Iterator[tuple[Stack, Functions]]:
    with moto_server(0) as endpoint:
        stack = provision(endpoint, template=worker_fragment(f"runner-{uuid.uuid4().hex[:8]}"))
        yield stack, Functions(stack)


@contextmanager
def polling(stack: Stack, functions: Functions, concurrency: int = 0) -> Iterator[None]:
    """The pollers `start` runs, for the duration of the block."""
    stop = threading.Event()
    threads = start_pollers(
        sqs_sources(stack.template, stack.resolver.resolve),
        stack.client("sqs"),
        functions.invoke,
        stop,
        concurrency=concurrency,
    )
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


def deliveries(functions: Functions, key: str) -> list[tuple[int, str]]:
    recorded = functions.module("PublishWorkerFunction").DELIVERIES
    return [(count, invocation) for seen, count, invocation in recorded if seen == key]


def send(stack: Stack, *bodies: dict[str, Any], queue: str = "PublishQueue") -> None:
    entries = [{"Id": str(index), "MessageBody": json.dumps(body)} for index, body in enumerate(bodies)]
    stack.client("sqs").send_message_batch(QueueUrl=stack.queue_urls[queue], Entries=entries)


def queue_is_empty(stack: Stack, logical: str = "PublishQueue") -> bool:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.queue_urls[logical], AttributeNames=["All"]
    )["Attributes"]
    return (
        attributes["ApproximateNumberOfMessages"]
        == attributes["ApproximateNumberOfMessagesNotVisible"]
        == "0"
    )


def test_the_fragment_keeps_the_templates_batch_settings(worker: tuple[Stack, Functions]) -> None:
    stack, _ = worker
    (source,) = sqs_sources(stack.template, stack.resolver.resolve)

    assert (source.batch_size, source.report_batch_item_failures) == (10, True)
    assert (
        json.loads(
            stack.client("sqs").get_queue_attributes(
                QueueUrl=stack.queue_urls["PublishQueue"],
                AttributeNames=["RedrivePolicy"],
            )["Attributes"]["RedrivePolicy"]
        )["maxReceiveCount"]
        == 5
    )


def test_given_a_batch_with_one_reported_failure_then_only_that_message_is_redelivered(
    worker: tuple[Stack, Functions],
) -> None:
    stack, functions = worker
    flaky, fine = f"flaky-{uuid.uuid4().hex}", f"fine-{uuid.uuid4().hex}"
    send(stack, {"key": flaky, "fail_until": 1}, {"key": fine})

    with polling(stack, functions):
        wait_until(lambda: len(deliveries(functions, flaky)) == 2 and queue_is_empty(stack), "the retry")

    (first_flaky, second_flaky), (only_fine,) = deliveries(functions, flaky), deliveries(functions, fine)
    assert first_flaky[1] == only_fine[1]  # one batch, one invocation
    assert (first_flaky[0], second_flaky[0]) == (1, 2)
    assert only_fine[0] == 1


def test_given_a_batch_whose_handler_raises_then_no_message_of_it_is_deleted(
    worker: tuple[Stack, Functions],
) -> None:
    stack, functions = worker
    breaking, bystander = f"raise-{uuid.uuid4().hex}", f"bystander-{uuid.uuid4().hex}"
    send(stack, {"key": breaking, "raise_until": 1}, {"key": bystander})

    with polling(stack, functions):
        wait_until(lambda: len(deliveries(functions, bystander)) == 2 and queue_is_empty(stack), "the retry")

    assert [count for count, _ in deliveries(functions, breaking)] == [1, 2]
    assert [count for count, _ in deliveries(functions, bystander)] == [1, 2]


def test_given_a_message_that_always_fails_then_it_ends_in_the_dlq_after_max_receive_count(
    worker: tuple[Stack, Functions],
) -> None:
    stack, functions = worker
    poison = f"poison-{uuid.uuid4().hex}"
    send(stack, {"key": poison, "fail_until": 1000})
    sqs = stack.client("sqs")

    def dead_letter() -> list[dict[str, Any]]:
        return sqs.receive_message(
            QueueUrl=stack.queue_urls["PublishDeadLetterQueue"], WaitTimeSeconds=1
        ).get("Messages", [])

    with polling(stack, functions):
        (dead,) = wait_until(dead_letter, "the message in the dead-letter queue")

    assert json.loads(dead["Body"])["key"] == poison
    assert [count for count, _ in deliveries(functions, poison)] == [1, 2, 3, 4, 5]
    assert queue_is_empty(stack)


def overlapping(
    template: dict[str, Any], queue_size: int, queues: tuple[str, str], folder: Path
) -> dict[str, dict[str, Any]]:
    """Run the pollers `start` runs with `queue_size` queue workers per function: a message on the
    first queue is held in its invocation until one on the second has run (at most
    sqs_test_handler.WAIT_SECONDS). Each delivery's line (pid, whether the hold was released), by key."""
    started, second_ran, lines = folder / "first-started", folder / "second-ran", folder / "deliveries"
    with moto_server(0) as endpoint:
        stack = provision(endpoint, template=template)
        functions = PooledFunctions(
            stack,
            0,
            queue_size=queue_size,
            queue_functions=[source.function for source in sqs_sources(template, stack.resolver.resolve)],
        )
        try:
            with polling(stack, functions, concurrency=queue_size):
                first = {"key": "first", "release": str(started), "wait_for": str(second_ran)}
                send(stack, {**first, "record_to": str(lines)}, queue=queues[0])
                wait_until(started.exists, "the first batch's invocation", timeout=60)
                second = {"key": "second", "release": str(second_ran), "record_to": str(lines)}
                send(stack, second, queue=queues[1])
                wait_until(
                    lambda: lines.exists() and len(lines.read_text().splitlines()) == 2, "both", timeout=60
                )
        finally:
            functions.shutdown()
    return {line["key"]: line for line in map(json.loads, lines.read_text().splitlines())}


def test_given_queue_workers_when_a_second_batch_comes_during_the_first_then_it_runs_at_once_elsewhere(
    tmp_path,
) -> None:
    """`start --queue-workers 2`: the second batch is not held behind the first, and each runs in a
    worker process, not the runner's."""
    template = worker_fragment(f"runner-{uuid.uuid4().hex[:8]}", visibility_timeout=60)

    recorded = overlapping(template, 2, ("PublishQueue", "PublishQueue"), tmp_path)

    assert recorded["first"]["released"] is True  # the second ran while the first was still in its invocation
    assert recorded["first"]["pid"] != recorded["second"]["pid"]
    assert os.getpid() not in {recorded["first"]["pid"], recorded["second"]["pid"]}


def test_given_one_queue_worker_when_the_work_queue_holds_its_worker_then_the_publish_queue_has_its_own(
    tmp_path,
) -> None:
    """Each queue's function has worker processes of its own, as each Lambda function has its own
    environments: a long unit of work does not hold a publication back."""
    template = both_queues_fragment(f"runner-{uuid.uuid4().hex[:8]}")

    recorded = overlapping(template, 1, ("WorkQueue", "PublishQueue"), tmp_path)

    assert recorded["first"]["released"] is True  # the publication ran while the unit was in its invocation
    assert recorded["first"]["pid"] != recorded["second"]["pid"]
