"""Rollback counts what it did (issue 12, root cause 8; queued work since issue 16): a destination
refusing one retraction no longer turns into a 409 after others were retracted; the deployment
becomes rolled_back only once every item is down, and a second call retries what failed."""

from __future__ import annotations

from publisher.destinations.base import PermanentDestinationError
from publisher.identity import Caller
from publisher.services import deployments
from publisher.services.worker import PublishWorker
from tests.integration.publishing_support import (
    OWNER,
    RemoteSite,
    create_site,
    drain,
    make_content,
    owner_token,
    recording_factory,
    records_of,
    webhook_integration,
)
from tests.support.apigw import call
from tests.support.work_queue import drain_work


def deployed_site(aws, remote: RemoteSite) -> tuple[str, dict[str, str]]:
    """A completed deployment of three items; their external ids by slug."""
    site = create_site()
    webhook_integration(site["id"])
    items = {slug: make_content(site, slug=slug) for slug in ("a", "b", "c")}
    started = call(
        "POST",
        "/api/v1/publisher/deployments/",
        token=owner_token(),
        body={"site_id": site["id"], "deployment_type": "full"},
    ).json["data"]
    drain_work(aws)  # the deployment's plan
    drain(aws, PublishWorker(factory=recording_factory(remote)))
    external = {slug: records_of(item.content_id)[0].external_id for slug, item in items.items()}
    return started["id"], external


def refusing(remote: RemoteSite, external_id: str):
    def fault(operation: str, key: str) -> None:
        if operation == "retract" and key == external_id:
            raise PermanentDestinationError("the destination keeps it")

    return recording_factory(remote, fault)


def roll_back(caller: Caller, deployment_id: str, factory) -> dict:
    """Start a rollback and run its one unit (three items: one page) with `factory`."""
    started = deployments.rollback(caller, deployment_id)
    assert started["rollback"]["state"] == "running"
    payload = {"deployment_id": deployment_id, "actor": caller.user_id, "cursor": None, "page": 0}
    assert deployments.rollback_page(payload, factory=factory) is None
    return call("GET", f"/api/v1/publisher/deployments/{deployment_id}/", token=owner_token()).json["data"]


def test_given_one_retraction_refused_then_the_counters_name_it_and_a_second_rollback_finishes(aws):
    remote = RemoteSite()
    deployment_id, external = deployed_site(aws, remote)
    caller = Caller("user-1", *OWNER)

    partial = roll_back(caller, deployment_id, refusing(remote, external["b"]))

    rollback = partial["metadata"]["rollback"]
    assert partial["status"] == "completed" and rollback["complete"] is False
    assert (rollback["state"], rollback["retracted"], rollback["failed"]) == ("done", 2, 1)
    [failed] = rollback["failures"]
    assert "keeps it" in failed["error"] and failed["destination"] == "webhook"

    done = roll_back(caller, deployment_id, recording_factory(remote))

    assert done["status"] == "rolled_back" and done["metadata"]["rollback"]["complete"] is True
    assert (done["metadata"]["rollback"]["retracted"], done["metadata"]["rollback"]["failures"]) == (3, [])
    assert remote.posts == {}
    again = call("POST", f"/api/v1/publisher/deployments/{deployment_id}/rollback/", token=owner_token())
    assert again.status == 409 and "rolled_back" in again.json["error"]
    drain_work(aws)  # the units the two rollbacks queued find nothing running: they change nothing
    assert (
        call("GET", f"/api/v1/publisher/deployments/{deployment_id}/", token=owner_token()).json["data"][
            "metadata"
        ]["rollback"]
        == done["metadata"]["rollback"]
    )
