"""Rollback answers what it did, item by item (issue 12, root cause 8): a destination refusing one
retraction no longer turns into a 409 after others were retracted; the deployment becomes
rolled_back only once every item is down, and a second call retries what failed."""

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
    drain(aws, PublishWorker(factory=recording_factory(remote)))
    external = {slug: records_of(item.content_id)[0].external_id for slug, item in items.items()}
    return started["id"], external


def refusing(remote: RemoteSite, external_id: str):
    def fault(operation: str, key: str) -> None:
        if operation == "retract" and key == external_id:
            raise PermanentDestinationError("the destination keeps it")

    return recording_factory(remote, fault)


def test_given_one_retraction_refused_then_200_with_each_items_outcome_and_a_retry_finishes(aws):
    remote = RemoteSite()
    deployment_id, external = deployed_site(aws, remote)
    caller = Caller("user-1", *OWNER)

    partial = deployments.rollback(caller, deployment_id, factory=refusing(remote, external["b"]))

    outcomes = {item["record_id"]: item for item in partial["rollback"]["items"]}
    assert partial["status"] == "completed" and partial["rollback"]["complete"] is False
    assert (partial["rollback"]["retracted"], partial["rollback"]["failed"]) == (2, 1)
    [failed] = [item for item in outcomes.values() if item["outcome"] == "failed"]
    assert "keeps it" in failed["error"] and failed["destination"] == "webhook"
    stored = call("GET", f"/api/v1/publisher/deployments/{deployment_id}/", token=owner_token()).json["data"]
    assert stored["status"] == "completed" and stored["metadata"]["last_rollback"]["failed"] == 1

    done = deployments.rollback(caller, deployment_id, factory=recording_factory(remote))

    assert done["status"] == "rolled_back" and done["rollback"]["complete"] is True
    assert [item["outcome"] for item in done["rollback"]["items"]] == ["retracted"] * 3
    assert "last_rollback" not in done["metadata"] and done["metadata"]["rollback"]["retracted"] == 3
    assert remote.posts == {}
    again = call("POST", f"/api/v1/publisher/deployments/{deployment_id}/rollback/", token=owner_token())
    assert again.status == 409 and "rolled_back" in again.json["error"]
