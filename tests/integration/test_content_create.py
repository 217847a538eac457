"""POST /api/v1/content/ on moto: the slug claim, then body, title words and item, each a plain
conditional PutItem (no transaction); a taken slug → 409, a failed item put gives everything back,
an orphan claim (its content missing, older than ORPHAN_GRACE or undated) is taken over, and a
put retried after its reply was lost counts as done."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from publisher.errors import Conflict
from publisher.ids import new_id
from publisher.store import content as store
from publisher.store.content import SLUG_TAKEN
from publisher.store.models import ContentModel, UniqueKeyModel
from publisher.timeutil import iso, utcnow
from scripts.aws_calls import through
from tests.integration.scheduling_support import create_content, snapshot, unique_keys
from tests.integration.test_content_body import raw_item
from tests.integration.test_content_search import word_items
from tests.support.apigw import call

TITLE = "Growing tomatoes"


def new_item(site: dict, *, slug: str, title: str) -> ContentModel:
    """A new item as the service builds it, not yet stored (for a create run inside another)."""
    now = iso(utcnow())
    return ContentModel(
        content_id=new_id(),
        account_id=site["account_id"],
        site_id=site["id"],
        title=title,
        html="<p>Rain.</p>",
        slug=slug,
        site_status="not_published",
        site_status_updated_at=now,
        created_at=now,
        updated_at=now,
    )


def post(tok: str, site_id: str, **fields: Any):
    return call("POST", "/api/v1/content/", token=tok, body={"site_id": site_id, "title": TITLE, **fields})


def slug_key(site_id: str, slug: str) -> str:
    return UniqueKeyModel.content_slug(site_id, slug)


def put_claim(aws, key: str, owner_id: str, claimed_at: str | None) -> None:
    """A claim as a create (or an older version of it) left it."""
    item = {"key": {"S": key}, "owner_id": {"S": owner_id}}
    if claimed_at is not None:
        item["claimed_at"] = {"S": claimed_at}
    aws.client("dynamodb").put_item(TableName=aws.resolver.physical["UniqueKeysTable"], Item=item)


def raw_claim(aws, key: str) -> dict[str, Any] | None:
    table = aws.resolver.physical["UniqueKeysTable"]
    return aws.client("dynamodb").get_item(TableName=table, Key={"key": {"S": key}}).get("Item")


def is_item_put(aws, operation: str, params: dict[str, Any]) -> bool:
    """A PutItem of a content item (not its body)."""
    return (
        operation == "PutItem"
        and params["TableName"] == aws.resolver.physical["ContentTable"]
        and not params["Item"]["content_id"]["S"].startswith("body#")
    )


def is_claim_put(aws, operation: str, params: dict[str, Any]) -> bool:
    return (
        operation == "PutItem"
        and params["TableName"] == aws.resolver.physical["UniqueKeysTable"]
        and params["Item"]["key"]["S"].startswith("content-slug#")
    )


def hook(monkeypatch, before=None, after=None) -> None:
    """Run `before(operation, params)` ahead of every AWS call and `after(operation, params)` once it
    went through (either may raise instead of the call or its reply)."""

    def hooked(send, client, operation, params):
        if before is not None:
            before(operation, params)
        reply = send(client, operation, params)
        if after is not None:
            after(operation, params)
        return reply

    monkeypatch.setattr(BaseClient, "_make_api_call", through(hooked))


def condition_failed(operation: str) -> ClientError:
    error = {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}
    return ClientError({"Error": error}, operation)


def nothing_left_of(aws, site_id: str) -> None:
    """No claim, no item, no body, no title word: what a site without content holds."""
    assert unique_keys(aws, "content-slug#") == {}
    assert word_items(aws, site_id) == set()
    table = aws.resolver.physical["ContentTable"]
    assert aws.client("dynamodb").scan(TableName=table)["Items"] == []


def test_given_a_create_then_its_writes_are_plain_puts_claim_first(aws, owner, site, monkeypatch):
    sent: list[tuple[str, str]] = []
    names = {aws.resolver.physical[name]: name for name in ("ContentTable", "UniqueKeysTable", "UsageTable")}

    def record(operation, params):
        if operation in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"):
            sent.append((operation, names.get(params.get("TableName"), "?")))

    hook(monkeypatch, before=record)

    created = post(owner, site["id"], slug="tomatoes", html="<p>Sun.</p>")

    assert created.status == 201, created.body
    assert sent == [
        ("PutItem", "UniqueKeysTable"),  # the claim
        ("PutItem", "ContentTable"),  # the body
        ("PutItem", "UsageTable"),  # title words: growing, tomatoes
        ("PutItem", "UsageTable"),
        ("PutItem", "ContentTable"),  # the item
    ]
    claim = raw_claim(aws, slug_key(site["id"], "tomatoes"))
    assert claim["owner_id"]["S"] == created.json["data"]["id"]
    assert claim["claimed_at"]["S"] >= created.json["data"]["created_at"]


def test_given_a_second_create_of_the_slug_while_the_first_is_in_flight_then_409_and_one_claim(
    aws, owner, site, monkeypatch
):
    """The second create comes between the first's claim and its item: the claim is fresh and its
    content not there yet, so it may be a create in flight."""
    refusals = []
    second = new_item(site, slug="tomatoes", title="Other tomatoes")

    def second_create(operation, params):
        if not refusals and is_item_put(aws, operation, params):
            with pytest.raises(Conflict) as refused:
                store.create_content(second)  # the API's lock lets one request run at a time
            refusals.append(refused.value)

    hook(monkeypatch, before=second_create)

    first = post(owner, site["id"], slug="tomatoes")

    assert first.status == 201, first.body
    assert [str(refusal) for refusal in refusals] == [SLUG_TAKEN]
    content_id = first.json["data"]["id"]
    assert unique_keys(aws, "content-slug#") == {slug_key(site["id"], "tomatoes"): content_id}
    assert {key.split("#")[1] for key in word_items(aws, site["id"])} == {content_id}  # none of "other"
    assert raw_item(aws, f"body#{second.content_id}") is None


def test_given_two_creates_of_one_slug_then_the_later_one_is_409_and_writes_nothing(aws, owner, site):
    first = create_content(owner, site["id"], slug="tomatoes")
    before = snapshot(aws)

    second = post(owner, site["id"], slug="tomatoes")

    assert second.status == 409
    assert (second.json["success"], second.json["error"]) == (False, SLUG_TAKEN) and second.json["request_id"]
    assert snapshot(aws) == before
    assert unique_keys(aws, "content-slug#") == {slug_key(site["id"], "tomatoes"): first["id"]}


def test_given_the_item_put_fails_then_claim_body_and_words_are_given_back(aws, owner, site, monkeypatch):
    def fail(operation, params):
        if is_item_put(aws, operation, params):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, operation)

    hook(monkeypatch, before=fail)

    reply = post(owner, site["id"], slug="tomatoes", html="<p>Sun.</p>")

    assert reply.status == 500
    nothing_left_of(aws, site["id"])
    monkeypatch.undo()
    assert create_content(owner, site["id"], slug="tomatoes")["slug"] == "tomatoes"


def test_given_the_item_put_refused_then_claim_body_and_words_are_given_back(aws, owner, site, monkeypatch):
    """A refused put that did not write the item (another item with its id: never in practice)."""

    def refuse(operation, params):
        if is_item_put(aws, operation, params):
            raise condition_failed(operation)

    hook(monkeypatch, before=refuse)

    reply = post(owner, site["id"], slug="tomatoes")

    assert reply.status == 500
    nothing_left_of(aws, site["id"])


@pytest.mark.parametrize(
    "age", [timedelta(minutes=6), timedelta(days=30), None], ids=["6-minutes", "30-days", "undated"]
)
def test_given_an_orphan_claim_then_the_create_takes_it_over(aws, owner, site, age):
    key = slug_key(site["id"], "tomatoes")
    put_claim(aws, key, "01ORPHANOWNERGONE000000000", None if age is None else iso(utcnow() - age))

    reply = post(owner, site["id"], slug="tomatoes")

    assert reply.status == 201, reply.body
    content_id = reply.json["data"]["id"]
    assert unique_keys(aws, "content-slug#") == {key: content_id}
    assert raw_claim(aws, key)["claimed_at"]["S"] >= reply.json["data"]["created_at"]
    assert raw_item(aws, content_id) is not None


@pytest.mark.parametrize(
    ("age", "status"), [(timedelta(minutes=6), 200), (timedelta(minutes=1), 409)], ids=["orphan", "in-flight"]
)
def test_given_an_edit_to_a_slug_an_orphan_claim_holds_then_it_is_freed_past_its_grace(
    aws, owner, site, age, status
):
    """An edit's slug swap is a transaction; refused by an orphan claim past its grace, it deletes
    the orphan (as read) and tries once more. A claim within its grace may be a create in flight."""
    created = post(owner, site["id"], slug="tomatoes").json["data"]
    key = slug_key(site["id"], "sun")
    put_claim(aws, key, "01ORPHANOWNERGONE000000000", iso(utcnow() - age))

    reply = call("PATCH", f"/api/v1/content/{created['id']}/", token=owner, body={"slug": "sun"})

    assert reply.status == status, reply.body
    claims = unique_keys(aws, "content-slug#")
    if status == 200:
        assert claims == {key: created["id"]}
    else:
        assert claims == {slug_key(site["id"], "tomatoes"): created["id"], key: "01ORPHANOWNERGONE000000000"}


def test_given_two_creates_taking_over_one_orphan_then_one_wins(aws, owner, site, monkeypatch):
    """The take-over is conditioned on the orphan's claim as read: the later one finds it changed."""
    key = slug_key(site["id"], "tomatoes")
    put_claim(aws, key, "01ORPHANOWNERGONE000000000", iso(utcnow() - timedelta(hours=1)))
    rival = new_item(site, slug="tomatoes", title="Rival tomatoes")
    claim_puts = []

    def rival_takes_over_first(operation, params):
        if is_claim_put(aws, operation, params) and params["Item"]["owner_id"]["S"] != rival.content_id:
            claim_puts.append(params.get("ConditionExpression"))
            if len(claim_puts) == 2:  # our take-over, after reading the orphan
                store.create_content(rival)

    hook(monkeypatch, before=rival_takes_over_first)

    reply = post(owner, site["id"], slug="tomatoes")

    assert reply.status == 409 and reply.json["error"] == SLUG_TAKEN
    assert len(claim_puts) == 2
    assert unique_keys(aws, "content-slug#") == {key: rival.content_id}
    assert raw_item(aws, rival.content_id) is not None


def test_given_a_fresh_claim_without_its_content_then_409(aws, owner, site):
    """Within ORPHAN_GRACE the claim may belong to a create in flight."""
    key = slug_key(site["id"], "tomatoes")
    put_claim(aws, key, "01CREATEINFLIGHT0000000000", iso(utcnow() - timedelta(minutes=4)))

    reply = post(owner, site["id"], slug="tomatoes")

    assert reply.status == 409 and reply.json["error"] == SLUG_TAKEN
    assert unique_keys(aws, "content-slug#") == {key: "01CREATEINFLIGHT0000000000"}
    assert word_items(aws, site["id"]) == set()


@pytest.mark.parametrize("dated", [True, False], ids=["old", "undated"])
def test_given_an_old_claim_whose_content_exists_then_409(aws, owner, site, dated):
    first = create_content(owner, site["id"], slug="tomatoes")
    key = slug_key(site["id"], "tomatoes")
    put_claim(aws, key, first["id"], iso(utcnow() - timedelta(days=30)) if dated else None)

    reply = post(owner, site["id"], slug="tomatoes")

    assert reply.status == 409 and reply.json["error"] == SLUG_TAKEN
    assert unique_keys(aws, "content-slug#") == {key: first["id"]}


def test_given_the_item_puts_reply_lost_then_the_create_succeeds(aws, owner, site, monkeypatch):
    """botocore's retry of a put whose reply was lost fails its condition on the item it wrote."""

    def lose_reply(operation, params):
        if is_item_put(aws, operation, params):
            raise condition_failed(operation)

    hook(monkeypatch, after=lose_reply)

    reply = post(owner, site["id"], slug="tomatoes", html="<p>Sun.</p>")

    assert reply.status == 201, reply.body
    content_id = reply.json["data"]["id"]
    monkeypatch.undo()
    assert call("GET", f"/api/v1/content/{content_id}/", token=owner).json["data"] == reply.json["data"]
    assert unique_keys(aws, "content-slug#") == {slug_key(site["id"], "tomatoes"): content_id}
    assert len(word_items(aws, site["id"])) == 2


def test_given_the_claim_puts_reply_lost_then_the_claim_is_ours(aws, owner, site, monkeypatch):
    lost = []

    def lose_reply(operation, params):
        if is_claim_put(aws, operation, params):
            lost.append(params["Item"]["key"]["S"])
            raise condition_failed(operation)

    hook(monkeypatch, after=lose_reply)

    reply = post(owner, site["id"], slug="tomatoes")

    assert reply.status == 201, reply.body
    assert lost == [slug_key(site["id"], "tomatoes")]
    assert unique_keys(aws, "content-slug#") == {slug_key(site["id"], "tomatoes"): reply.json["data"]["id"]}


def test_given_generated_slugs_then_numbered_and_a_lost_race_retries_with_a_suffix(
    aws, owner, site, monkeypatch
):
    assert create_content(owner, site["id"], title="Spring plan")["slug"] == "spring-plan"
    assert create_content(owner, site["id"], title="Spring plan!")["slug"] == "spring-plan-2"
    rival = new_item(site, slug="spring-plan-3", title="Spring PLAN")

    def rival_first(operation, params):
        """Another create of the title takes `spring-plan-3` between our look-up and our claim."""
        if rival.content_hash is None and is_claim_put(aws, operation, params):
            store.create_content(rival)

    hook(monkeypatch, before=rival_first)

    created = create_content(owner, site["id"], title="spring plan")

    assert rival.content_hash is not None  # it did come first
    assert created["slug"].startswith("spring-plan-") and len(created["slug"]) == len("spring-plan-") + 6
    claims = unique_keys(aws, "content-slug#")
    assert claims[slug_key(site["id"], "spring-plan-3")] == rival.content_id
    assert claims[slug_key(site["id"], created["slug"])] == created["id"]
    assert len(claims) == 4
    assert sum(1 for key in word_items(aws, site["id"]) if key.endswith(created["id"])) == 2
