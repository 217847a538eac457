"""GET /content/?site_id=&q=: content whose title holds every word asked, case and accents
ignored, through one small index item per (site, title word): put before a new item (and deleted
if its create is refused), swapped in the transaction of a title's edit; no Scan, paged with the
usual cursor."""

from __future__ import annotations

import pytest

from publisher.ids import new_id
from publisher.store.models import TitleWordModel
from publisher.store.search import put_words
from tests.integration.scheduling_support import create_content, create_site
from tests.support.apigw import call
from tests.support.fixtures import stored, token


def search(tok, site_id, q, **query):
    query = {"site_id": site_id, "q": q, **{key: str(value) for key, value in query.items()}}
    return call("GET", "/api/v1/content/", token=tok, query=query)


def titles(reply) -> list[str]:
    assert reply.status == 200, reply.body
    return [item["title"] for item in reply.json["data"]]


def word_items(aws, site_id: str) -> set[str]:
    """The title-word items of a site, as stored (`<word>#<content_id>`)."""
    key = TitleWordModel.key_of(site_id)
    return {item["period"]["S"] for item in stored(aws, "UsageTable") if item["site_id"]["S"] == key}


@pytest.fixture
def garden(owner, site):
    for title in (
        "Growing Tomatoes in Pots",
        "Tomato sauce, from the garden",
        "Pruning roses",
        "Café GARDEN notes",
    ):
        create_content(owner, site["id"], title=title)
    return site


def test_given_titles_when_searching_a_word_then_matches_case_insensitively(aws, owner, garden):
    assert titles(search(owner, garden["id"], "tomatoes")) == ["Growing Tomatoes in Pots"]
    assert sorted(titles(search(owner, garden["id"], "GARDEN"))) == [
        "Café GARDEN notes",
        "Tomato sauce, from the garden",
    ]


def test_given_several_words_when_searching_then_every_word_must_be_in_the_title(aws, owner, garden):
    assert titles(search(owner, garden["id"], "garden tomato")) == ["Tomato sauce, from the garden"]
    assert titles(search(owner, garden["id"], "pots Tomatoes growing")) == ["Growing Tomatoes in Pots"]
    assert titles(search(owner, garden["id"], "garden roses")) == []


def test_given_accents_when_searching_then_folded_both_ways(aws, owner, garden):
    assert titles(search(owner, garden["id"], "cafe")) == ["Café GARDEN notes"]
    assert titles(search(owner, garden["id"], "CAFÉ")) == ["Café GARDEN notes"]


def test_given_a_word_that_is_only_part_of_a_title_word_then_no_match(aws, owner, garden):
    assert titles(search(owner, garden["id"], "tomat")) == []


def test_given_a_title_change_then_old_words_no_longer_match_and_new_ones_do(aws, owner, site):
    item = create_content(owner, site["id"], title="Pruning roses")

    reply = call("PATCH", f"/api/v1/content/{item['id']}/", token=owner, body={"title": "Planting tulips"})

    assert reply.status == 200, reply.body
    assert titles(search(owner, site["id"], "roses")) == []
    assert titles(search(owner, site["id"], "tulips")) == ["Planting tulips"]
    assert word_items(aws, site["id"]) == {f"planting#{item['id']}", f"tulips#{item['id']}"}


def test_given_an_edit_of_other_fields_then_word_items_stay_as_they_were(aws, owner, site):
    item = create_content(owner, site["id"], title="Pruning roses")
    before = [entry for entry in stored(aws, "UsageTable") if entry["site_id"]["S"].startswith("search#")]

    call(
        "PATCH",
        f"/api/v1/content/{item['id']}/",
        token=owner,
        body={"html": "<p>new</p>", "title": "PRUNING Roses"},
    )

    after = [entry for entry in stored(aws, "UsageTable") if entry["site_id"]["S"].startswith("search#")]
    assert after == before  # same words: nothing rewritten


def test_given_many_matches_when_paging_then_the_cursor_walks_each_once(aws, owner, site):
    for number in range(5):
        create_content(owner, site["id"], title=f"Seed list {number}")
    create_content(owner, site["id"], title="Other list")

    seen: list[str] = []
    cursor = None
    for _ in range(5):
        extra = {"cursor": cursor} if cursor else {}
        reply = search(owner, site["id"], "seed list", limit=2, **extra)
        seen += titles(reply)
        cursor = reply.json["next_cursor"]
        if not cursor:
            break

    assert sorted(seen) == [f"Seed list {number}" for number in range(5)]


def test_given_a_status_filter_with_q_then_both_apply(aws, owner, site):
    create_content(owner, site["id"], title="Pruning roses", status="approved")
    create_content(owner, site["id"], title="Pruning apples")

    assert titles(search(owner, site["id"], "pruning", status="approved")) == ["Pruning roses"]


def test_given_another_sites_titles_then_they_are_not_found(aws, owner, site):
    other = create_site(owner, name="Orchard")
    create_content(owner, other["id"], title="Pruning apples")

    assert titles(search(owner, site["id"], "pruning")) == []


def test_given_viewer_when_searching_then_allowed(aws, owner, garden):
    assert titles(search(token("acct-1", "viewer"), garden["id"], "roses")) == ["Pruning roses"]


def test_given_other_account_when_searching_then_404(aws, garden):
    assert search(token("acct-2", "owner"), garden["id"], "roses").status == 404


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({"q": "roses"}, 422, "site_id"),  # a search looks within one site
        ({"site_id": "{site}", "q": "!!! ..."}, 422, "q"),  # no word in it
        ({"site_id": "{site}", "q": ""}, 400, "q"),  # empty
        ({"site_id": "{site}", "q": "x" * 201}, 400, "q"),  # too long
        ({"site_id": "{site}", "q": " ".join(f"w{n}" for n in range(11))}, 422, "q"),  # too many words
    ],
)
def test_given_bad_search_then_4xx_naming_the_field(aws, owner, garden, query, status, field):
    query = {key: value.format(site=garden["id"]) for key, value in query.items()}

    reply = call("GET", "/api/v1/content/", token=owner, query=query)

    assert reply.status == status, reply.body
    assert field in reply.json["errors"]


def test_given_a_refused_create_then_no_word_items_are_written(aws, owner, site):
    create_content(owner, site["id"], title="Pruning roses", slug="pruning")
    before = word_items(aws, site["id"])

    reply = call(
        "POST",
        "/api/v1/content/",
        token=owner,
        body={"site_id": site["id"], "title": "Other words", "slug": "pruning"},
    )

    assert reply.status == 409, reply.body
    assert word_items(aws, site["id"]) == before


def test_given_words_of_a_create_that_died_before_its_item_then_search_does_not_list_them(aws, owner, site):
    kept = create_content(owner, site["id"], title="Pruning roses")
    orphan = new_id()
    put_words(site["id"], orphan, "Pruning tulips")  # the create's process died after this
    assert {f"pruning#{orphan}", f"pruning#{kept['id']}"} <= word_items(aws, site["id"])

    found = search(owner, site["id"], "pruning")

    assert [item["id"] for item in found.json["data"]] == [kept["id"]]


def test_given_a_create_then_its_words_are_put_outside_any_transaction(aws, owner, site, monkeypatch):
    """A transaction bills each of its items twice: a create writes each of its items on its own."""
    from tests.support.aws_calls import record_calls

    words_key = TitleWordModel.key_of(site["id"])
    sent = record_calls(monkeypatch, "dynamodb")

    create_content(owner, site["id"], title="Pruning old roses")

    transactions = [len(params["TransactItems"]) for params in sent.of("TransactWriteItems")]
    word_puts = [
        params["Item"]["period"]["S"].split("#")[0]
        for params in sent.of("PutItem")
        if params["Item"].get("site_id") == {"S": words_key}
    ]
    assert transactions == []
    assert sorted(word_puts) == ["old", "pruning", "roses"]
    assert len(word_items(aws, site["id"])) == 3


def test_dynamodb_calls_per_search_and_per_title_change(aws, owner, garden, monkeypatch):
    """A search is the site's GetItem (tenancy), one Query of the word items, one BatchGetItem of
    the page's content, its bodies and the site's settings; a title change is one transaction (item
    and words together)."""
    from tests.support.aws_calls import record_calls

    item = create_content(owner, garden["id"], title="Pruning roses")
    sent = record_calls(monkeypatch, "dynamodb")

    found = search(owner, garden["id"], "garden tomato")
    assert titles(found) == ["Tomato sauce, from the garden"]
    assert found.json["data"][0]["html"]  # the body, stored apart, comes with each result
    searching = sent.operations
    sent.clear()
    call("PATCH", f"/api/v1/content/{item['id']}/", token=owner, body={"title": "Pruning old roses"})

    # + the page's bodies (a GetItem for one item, a BatchGetItem for more) and the site's settings
    # (the view's local_time)
    assert searching == ["GetItem", "Query", "BatchGetItem", "GetItem", "GetItem"]
    assert sent.count("TransactWriteItems") == 1 and "UpdateItem" not in sent.operations
