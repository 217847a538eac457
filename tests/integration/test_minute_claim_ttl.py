"""Minute claims (`slot#<site>#<minute>`) expire by TTL a day after their minute; other unique
keys (slugs) never expire."""

from __future__ import annotations

from publisher.store.content import MINUTE_CLAIM_KEPT
from publisher.timeutil import iso, parse_iso
from tests.integration.scheduling_support import create_content, next_weekday, schedule
from tests.support.fixtures import stored


def test_a_minute_claim_expires_a_day_after_its_minute_and_slug_claims_never(aws, owner, site):
    item = create_content(owner, site["id"], status="approved")
    when = next_weekday(2).replace(hour=10, minute=30)

    reply = schedule(owner, item["id"], {"scheduled_publish_at": iso(when)})

    assert reply.status == 200, reply.body
    claims = {claim["key"]["S"]: claim for claim in stored(aws, "UniqueKeysTable")}
    [minute] = [claim for key, claim in claims.items() if key.startswith("slot#")]
    assert int(minute["expires_at"]["N"]) == int((when + MINUTE_CLAIM_KEPT).timestamp())
    slugs = [claim for key, claim in claims.items() if not key.startswith("slot#")]
    assert slugs and all("expires_at" not in claim for claim in slugs)
    assert parse_iso(reply.json["data"]["scheduled_publish_at"]) == when
