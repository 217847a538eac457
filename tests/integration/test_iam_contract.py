"""The IAM contract: every AWS call a handler makes is allowed by its function's role, as SAM's own
transform writes that role from template.yaml, and every grant is used or explained.

moto does not enforce IAM, so nothing else would notice a handler calling what its role does not
grant (the worker's sqs:ChangeMessageVisibility did, in AWS only) or a grant nothing needs. One
flow drives every function of the template the way AWS invokes it: the API functions and the
authorizer through the local runner's gateway, the jobs with their scheduled event, the worker
from a real SQS batch through the local runner's poller (whose ReceiveMessage/DeleteMessage Lambda
makes with the worker's role). tests/support/aws_calls.py records each call with the function
that was running; tests/unit/infra/iam_policy.py evaluates them against the translated template.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities import parameters

from local.aws import ACCOUNT, REGION, Stack
from local.events import scheduled_event
from local.queues import QueuePoller, SqsSource
from local.template import resources_of_type
from publisher import bootstrap
from publisher.timeutil import iso
from tests.integration.publishing_support import (
    BUCKET,
    PUBLIC_BASE_URL,
    content_now,
    create_site,
    make_content,
    put_integration,
    queue_arn,
    receive,
    record_now,
    records_of,
)
from tests.support.apigw import call, gateway
from tests.support.aws_calls import AwsCall, invoking, record_aws_calls
from tests.support.fixtures import token
from tests.support.loopback import Reply, loopback_server
from tests.unit.infra.iam_policy import (
    Names,
    function_policies,
    is_allowed,
    translated_template,
    unused_grants,
)

REPORT = Path(__file__).resolve().parents[2] / "test-output" / "iam-contract.json"
CLOSED_PORT_HOOK = "http://127.0.0.1:9/hook"  # nothing listens: a retryable failure, every time

# Grants no handler call uses, each with the reason it is there (fnmatch patterns over
# "<function> <action> <resource>"). The test fails on a grant missing here and on an entry
# here that matches no unused grant: the list is exactly what is explained.
EXPLAINED_UNUSED_GRANTS: dict[str, str] = {
    "* logs:* *": "AWSLambdaBasicExecutionRole: the Lambda service writes the function's logs",
    "* xray:* *": "AWSXrayWriteOnlyAccess (Tracing: Active): the X-Ray SDK/daemon sends traces",
    "PublishWorkerFunction sqs:GetQueueAttributes *": (
        "AWSLambdaSQSQueueExecutionRole: the event source mapping reads the queue's attributes"
    ),
    "NotifierFunction sqs:SendMessage ${NotificationDeadLetterQueue.Arn}": (
        "DeadLetterQueue (SAM's grant): Lambda itself sends an event the function failed on"
    ),
    "WorkUnitsFunction sqs:GetQueueAttributes *": (
        "AWSLambdaSQSQueueExecutionRole: the event source mapping reads the queue's attributes"
    ),
    # Code paths this flow does not drive (each names where the code makes the call):
    "WorkUnitsFunction kms:Decrypt ${CredentialsKey.Arn}": (
        "deletion's retract of a destination with credentials (records.retract_record); the flow retracts s3"
    ),
    "WorkUnitsFunction dynamodb:DeleteItem ${RecordsTable.Arn}": (
        "cleanup._resend deletes a pending record whose content moved on"
    ),
    "ContentApiFunction * ${RecordsTable.Arn}*": "content API: an item due within minutes is handed over",
    "PublisherApiFunction dynamodb:DeleteItem ${RecordsTable.Arn}": (
        "records.delete_record: DELETE /publisher/records/{id} by an admin or owner"
    ),
    "PublisherApiFunction dynamodb:DeleteItem ${DeploymentsTable.Arn}": (
        "deployments.delete_deployment: DELETE /publisher/deployments/{id} of a finished deployment"
    ),
    "ContentApiFunction sqs:SendMessage ${PublishQueue.Arn}": "the same hand-over sends the message",
    "ContentApiFunction dynamodb:GetItem ${UniqueKeysTable.Arn}": (
        "POST /content/bulk/ with action publish checks an s3 integration's bucket claim"
    ),
    "PublisherApiFunction kms:Decrypt ${CredentialsKey.Arn}": (
        "retracting from WordPress/Ghost/Webflow/webhook opens their credentials (S3 has none)"
    ),
}


def names_of(stack: Stack) -> Names:
    """What Ref/GetAtt mean on the local stack (the physical names the handlers use)."""
    refs = {
        **stack.resolver.parameters,
        **stack.resolver.physical,
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    kinds = {logical: resource["Type"] for logical, resource in stack.template["Resources"].items()}

    def getatt(logical: str, attribute: str) -> str:
        kind, ref = kinds[logical], stack.resolver.physical.get(logical)
        if kind == "AWS::SQS::Queue" and attribute in {"Arn", "QueueName"}:
            return stack.resolver.attributes(logical, attribute)
        if kind == "AWS::DynamoDB::Table" and attribute == "Arn":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{ref}"
        if kind == "AWS::KMS::Key" and attribute == "Arn":
            return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{ref}"
        if kind == "AWS::Events::EventBus" and attribute == "Arn":
            return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{ref}"
        if kind == "AWS::Events::EventBus" and attribute == "Name":
            return ref
        if kind == "AWS::Events::Rule" and attribute == "Arn":
            return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{logical}"
        raise KeyError(f"GetAtt {logical}.{attribute} is not known to the contract test")

    return Names(refs, getatt)


@pytest.fixture
def calls(aws: Stack, monkeypatch: pytest.MonkeyPatch) -> list[AwsCall]:
    """The recorder, with the authorizer reading its secret from Secrets Manager as in AWS."""
    monkeypatch.delenv("JWT_SECRET", raising=False)
    bootstrap.reset()
    parameters.clear_caches()
    return record_aws_calls(monkeypatch)


def ok(reply: Any, *statuses: int) -> dict:
    assert reply.status in (statuses or (200,)), reply.body
    return reply.json.get("data") if "json" in reply.headers.get("Content-Type", "") else {}


def poll_worker(stack: Stack) -> int:
    """One batch from PublishQueue to the worker, as Lambda's poller does it under the worker's role."""
    source = SqsSource(
        function="PublishWorkerFunction",
        event="PublishQueueMessages",
        queue_arn=queue_arn(stack),
        report_batch_item_failures=True,
    )
    poller = QueuePoller(source, stack.client("sqs"), gateway().functions.invoke, wait_seconds=0)
    with invoking("PublishWorkerFunction"):
        return poller.poll_once()


def drain_units(stack: Stack) -> int:
    """WorkQueue's units through WorkUnitsFunction until none is visible, as Lambda's poller runs them."""
    source = SqsSource(
        function="WorkUnitsFunction",
        event="WorkQueueMessages",
        queue_arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:{stack.queue_urls['WorkQueue'].rsplit('/', 1)[1]}",
        report_batch_item_failures=True,
    )
    poller = QueuePoller(source, stack.client("sqs"), gateway().functions.invoke, wait_seconds=0)
    delivered = 0
    with invoking("WorkUnitsFunction"):
        while received := poller.poll_once():
            delivered += received
    return delivered


def run_schedule(logical_id: str) -> Any:
    """A scheduled function with its EventBridge event, as the local runner's schedules run it."""
    event = scheduled_event(f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{logical_id}", datetime.now(UTC))
    return gateway().functions.invoke(logical_id, event, "schedule")


def drive_every_function(stack: Stack) -> None:
    owner = token("acct-1", "owner", sub=f"iam-{uuid.uuid4()}")  # a token no cached decision knows

    # sites, integrations, settings (SitesApiFunction; the authorizer on the first call)
    stack.client("s3").create_bucket(Bucket=BUCKET)
    site = create_site(owner, slug="iam-garden")
    put_integration(
        site["id"], "s3", {"config": {"bucket": BUCKET, "public_base_url": PUBLIC_BASE_URL}}, tok=owner
    )
    other = create_site(owner, name="Hooks", url="https://hooks.example.com", slug="iam-hooks")
    hook = {
        "config": {"url": CLOSED_PORT_HOOK, "allow_insecure_http": True},
        "credentials": {"signing_secret": "s" * 24},
    }
    put_integration(other["id"], "webhook", hook, tok=owner)
    ok(
        call(
            "PATCH",
            f"/api/v1/sites/{site['id']}/",
            token=owner,
            body={"name": "Garden (IAM)", "slug": "iam-garden-2"},
        )
    )
    ok(call("GET", "/api/v1/sites/", token=owner))
    ok(call("GET", f"/api/v1/sites/{site['id']}/", token=owner))
    ok(call("GET", f"/api/v1/sites/{site['id']}/integrations/", token=owner))
    ok(call("POST", f"/api/v1/sites/{site['id']}/integrations/s3/test/", token=owner))
    ok(call("POST", f"/api/v1/sites/{other['id']}/integrations/webhook/test/", token=owner))
    settings = {"auto_publish_enabled": True, "daily_publish_limit": 5, "timezone": "Europe/Paris"}
    ok(call("PUT", f"/api/v1/sites/{other['id']}/publishing-settings/", token=owner, body=settings))
    ok(call("GET", f"/api/v1/sites/{other['id']}/publishing-settings/", token=owner))
    ok(call("GET", f"/api/v1/sites/{other['id']}/publishing-settings/preview/", token=owner))
    feed = ok(call("POST", f"/api/v1/sites/{other['id']}/calendar-feed-token/", token=owner), 200, 201)
    spare = create_site(owner, name="Spare", url="https://spare.example.com", slug="iam-spare")
    put_integration(spare["id"], "webhook", hook, tok=owner)
    ok(call("DELETE", f"/api/v1/sites/{spare['id']}/integrations/webhook/", token=owner), 200, 204)
    # notifications: the signing secret sealed, the addresses subscribed to the topic
    with loopback_server() as receiver:
        receiver.route("POST", "/notify", Reply(200))
        noted = {
            "webhook_url": f"{receiver.url}/notify",
            "allow_insecure_http": True,
            "emails": ["ops@example.com"],
            "events": ["deployment.completed"],
        }
        ok(call("PUT", f"/api/v1/sites/{site['id']}/notifications/", token=owner, body=noted))
        ok(call("GET", f"/api/v1/sites/{site['id']}/notifications/", token=owner))
        ok(call("DELETE", f"/api/v1/sites/{spare['id']}/notifications/", token=owner))
        # the Notifier, as the bus's rule invokes it: the settings, the secret opened, webhook and e-mail
        event = {
            "id": str(uuid.uuid4()),
            "detail-type": "deployment.completed",
            "source": "publisher",
            "time": iso(datetime.now(UTC)),
            "detail": {"id": "iam-deployment", "site_id": site["id"], "account_id": site["account_id"]},
        }
        sent = gateway().functions.invoke("NotifierFunction", event, "rule")
        assert sent == {"event": "deployment.completed", "webhook": True, "emails": 1}, sent
        assert len(receiver.received) == 1

    # content, approval, schedule (ContentApiFunction)
    body = {"site_id": other["id"], "title": "Slots", "html": "<p>x</p>", "status": "approved"}
    item = ok(call("POST", "/api/v1/content/", token=owner, body=body), 201)
    ok(call("GET", "/api/v1/content/", token=owner, query={"site_id": other["id"]}))
    ok(call("GET", f"/api/v1/content/{item['id']}/", token=owner))
    ok(call("PATCH", f"/api/v1/content/{item['id']}/", token=owner, body={"title": "Timing, again"}))
    ok(call("GET", "/api/v1/content/", token=owner, query={"site_id": other["id"], "q": "timing"}))
    ok(call("GET", f"/api/v1/content/{item['id']}/preview/", token=owner, query={"destination": "webhook"}))
    ok(call("POST", f"/api/v1/content/{item['id']}/schedule/", token=owner, body={}))
    ok(call("POST", f"/api/v1/content/{item['id']}/unschedule/", token=owner))
    draft = {"site_id": other["id"], "title": "Auto", "html": "<p>y</p>", "status": "approved"}
    ok(call("POST", "/api/v1/content/", token=owner, body=draft), 201)

    # the 15-minute job assigns slots; the 5-minute job hands due content to the queue
    now = datetime.now(UTC)
    run_schedule("ScheduleApprovedContentFunction")
    drain_units(stack)
    # due a few seconds ago: handed over without a delay, so the worker publishes it below (a
    # scheduled message's claim moves the content, its history entry written with the settle's)
    due = make_content(other, site_status="scheduled", scheduled_publish_at=iso(now - timedelta(seconds=20)))
    run_schedule("ProcessScheduledPublicationsFunction")
    assert drain_units(stack) == 16  # a hand-over unit and an unpublish unit per due shard
    assert content_now(due.content_id).enqueued_for, due.content_id

    # publish now, the worker from real SQS batches: S3 pages, a webhook that cannot be reached
    page = make_content(site, slug="iam-page")
    hooked = make_content(other, slug="iam-hooked")
    for content in (page, hooked):
        ok(
            call("POST", "/api/v1/publisher/publish/", token=owner, body={"content_id": content.content_id}),
            202,
        )
    while poll_worker(stack):
        pass
    [record] = records_of(page.content_id)
    assert record_now(record.record_id).status == "published"
    [held] = records_of(hooked.content_id)  # the worker set its message's visibility for a retry
    assert record_now(held.record_id).status != "published"
    # records, deployments, calendar and queue (PublisherApiFunction)
    ok(call("GET", "/api/v1/publisher/publish/status/", token=owner, query={"content_id": page.content_id}))
    ok(call("GET", "/api/v1/publisher/records/", token=owner, query={"site_id": site["id"]}))
    ok(call("GET", "/api/v1/publisher/publishing-records/", token=owner))
    ok(call("GET", f"/api/v1/publisher/records/{record.record_id}/", token=owner))
    external = make_content(site, slug="iam-external")
    stack.client("s3").put_object(Bucket=BUCKET, Key="iam-external/index.html", Body=b"<p>by hand</p>")
    made = {
        "content_id": external.content_id,
        "destination": "s3",
        "status": "published",
        "external_id": "iam-external/index.html",
        "external_url": "https://garden.example.com/iam-external/",
    }
    ok(call("POST", "/api/v1/publisher/records/", token=owner, body=made), 201)
    ok(call("POST", f"/api/v1/publisher/records/{record.record_id}/retract/", token=owner))
    started = ok(
        call(
            "POST",
            "/api/v1/publisher/deployments/",
            token=owner,
            body={"site_id": site["id"], "deployment_type": "full"},
        ),
        201,
        202,
    )
    drain_units(stack)  # deployment.plan
    while poll_worker(stack):
        pass
    ok(call("GET", "/api/v1/publisher/deployments/", token=owner))
    ok(call("GET", f"/api/v1/publisher/deployments/{started['id']}/", token=owner))
    ok(call("POST", f"/api/v1/publisher/deployments/{started['id']}/rollback/", token=owner), 202)
    drain_units(stack)  # deployment.rollback
    week = {
        "site_id": site["id"],
        "start": iso(now - timedelta(days=1))[:10],
        "end": iso(now + timedelta(days=6))[:10],
    }
    ok(call("GET", "/api/v1/publisher/calendar/", token=owner, query=week))
    ok(call("GET", "/api/v1/publisher/queue/", token=owner, query={"site_id": other["id"]}))

    # scheduled unpublishing: the 5-minute job hands it over, the worker retracts the S3 page
    expiring = make_content(site, slug="iam-expiring")
    expire = {"content_id": expiring.content_id, "override_limits": True}  # the caps are the deployment's
    ok(call("POST", "/api/v1/publisher/publish/", token=owner, body=expire), 202)
    while poll_worker(stack):
        pass
    expiring = content_now(expiring.content_id)
    expiring.unpublish_at = iso(now - timedelta(minutes=1))  # due (the API takes future times only)
    expiring.refresh_index_keys()
    expiring.save()
    run_schedule("ProcessScheduledPublicationsFunction")
    drain_units(stack)
    assert content_now(expiring.content_id).unpublish_enqueued_for == expiring.unpublish_at
    while poll_worker(stack):
        pass
    assert [r.status for r in records_of(expiring.content_id)] == ["retracted"]

    # the daily cleanup retries a publication that failed for good a day ago
    failed = make_content(site, slug="iam-failed")
    ok(
        call(
            "POST",
            "/api/v1/publisher/publish/",
            token=owner,
            body={"content_id": failed.content_id, "override_limits": True},
        ),
        202,
    )
    receive(stack)  # its message is lost
    [lost] = records_of(failed.content_id)
    lost = record_now(lost.record_id)
    lost.status, lost.attempts, lost.error = "failed", 5, "gave up after 5 attempts"
    lost.next_retry_at = iso(now - timedelta(hours=30))
    lost.refresh_index_keys()
    lost.save()
    gone = content_now(failed.content_id)
    gone.site_status = "failed"
    gone.refresh_index_keys()
    gone.save()
    run_schedule("CleanupFailedPublicationsFunction")
    assert drain_units(stack) == 8  # a cleanup unit per retry shard
    assert record_now(lost.record_id).metadata.get("cleanup_retries") == 1  # retried by its unit

    # the public routes and the console (no token, no authorizer)
    ok(call("GET", "/api/v1/health/"))
    ok(call("GET", "/api/v1/publisher/site-definition/", query={"site": "iam-garden-2"}))
    ok(call("GET", "/api/v1/publisher/calendar.ics", query={"site_id": other["id"], "token": feed["token"]}))
    ok(call("GET", "/api/v1/openapi.json"))
    assert call("GET", "/console/").status == 200

    # editorial operations (PublisherApiFunction, ContentApiFunction's bulk, the units on WorkQueue)
    ok(call("POST", f"/api/v1/sites/{other['id']}/pause/", token=owner))
    ok(call("POST", f"/api/v1/sites/{other['id']}/resume/", token=owner))

    def deletable(slug: str) -> str:
        """Content with a history (an API edit) and a record that is not online."""
        body = {"site_id": other["id"], "title": slug, "html": "<p>z</p>", "slug": slug, "status": "draft"}
        made = ok(call("POST", "/api/v1/content/", token=owner, body=body), 201)
        ok(call("PATCH", f"/api/v1/content/{made['id']}/", token=owner, body={"status": "approved"}))
        pending = {"content_id": made["id"], "destination": "webhook", "status": "pending"}
        ok(call("POST", "/api/v1/publisher/records/", token=owner, body=pending), 201)
        return made["id"]

    bulk_delete = {"action": "delete", "ids": [deletable("iam-loose")]}
    ok(call("POST", "/api/v1/content/bulk/", token=owner, body=bulk_delete))
    doomed = deletable("iam-doomed")
    ok(call("POST", f"/api/v1/content/{doomed}/schedule/", token=owner, body={}))
    ok(call("DELETE", f"/api/v1/content/{doomed}/", token=owner))
    for slug in ("iam-online", "iam-again"):
        online = make_content(site, slug=slug)
        body = {"content_id": online.content_id, "override_limits": True}
        ok(call("POST", "/api/v1/publisher/publish/", token=owner, body=body), 202)
        while poll_worker(stack):
            pass
        if slug == "iam-online":
            retract = {"retract": "true"}
            ok(call("DELETE", f"/api/v1/content/{online.content_id}/", token=owner, query=retract), 202)
            drain_units(stack)
    ok(call("DELETE", f"/api/v1/sites/{site['id']}/", token=owner, query={"retract": "true"}), 202)
    drain_units(stack)
    assert call("GET", f"/api/v1/content/{online.content_id}/", token=owner).status == 404


def test_every_aws_call_of_every_handler_is_allowed_by_its_role_and_every_grant_is_explained(aws, calls):
    drive_every_function(aws)

    policies = function_policies(translated_template(), names_of(aws))
    denied = sorted(
        {
            f"{c.function} {c.operation} needs {c.action} on {c.resource}"
            for c in calls
            if not is_allowed(policies[c.function], c.action, c.resource)
        }
    )
    unused = [
        str(grant) for grant in unused_grants(policies, {(c.function, c.action, c.resource) for c in calls})
    ]
    unexplained = [grant for grant in unused if not any(fnmatch(grant, p) for p in EXPLAINED_UNUSED_GRANTS)]
    stale = [p for p in EXPLAINED_UNUSED_GRANTS if not any(fnmatch(grant, p) for grant in unused)]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(
        json.dumps(
            {
                "calls_checked": len(calls),
                "denied": denied,
                "unused_grants": unused,
                "unexplained_unused_grants": unexplained,
                "calls": sorted({f"{c.function} {c.action} {c.resource}" for c in calls}),
            },
            indent=1,
        )
    )

    silent = set(resources_of_type(aws.template, "AWS::Serverless::Function")) - {c.function for c in calls}
    assert silent == {"ConsoleFunction"}, f"functions the flow did not reach: {sorted(silent)}"
    assert denied == [], "calls the role does not allow:\n" + "\n".join(denied)
    assert unexplained == [], "grants no call uses (remove them or explain them):\n" + "\n".join(unexplained)
    assert stale == [], f"explanations that match no unused grant: {stale}"
