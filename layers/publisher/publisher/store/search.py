"""Finding content by the words of its title (`GET /content/?site_id=&q=`), without a Scan.

Each distinct search word of a title (domain.text.title_words) is one small item in the Usage
table, `search#<site_id>` / `<word>#<content_id>`. A new item's words are put before the item, each
on its own (`put_words`: a transaction would bill each twice), and deleted again if the create is
refused; a word whose content does not exist (a create that died between) is never a result, as a
search reads the content back. An edit of the title swaps them in the edit's transaction.

A search is ONE Query on the site's partition for the items of one asked word (the
longest, likely the rarest), with a filter that keeps those whose `words` hold every other asked
word; a page of them names the content read back (one BatchGetItem).
"""

from __future__ import annotations

from typing import Any

from publisher.domain.text import title_words
from publisher.paging import PageRequest
from publisher.store.common import query_page
from publisher.store.models import ContentModel, TitleWordModel


def _item(site_id: str, content_id: str, word: str, words: list[str]) -> TitleWordModel:
    return TitleWordModel(
        key=TitleWordModel.key_of(site_id),
        position=f"{word}#{content_id}",
        content_id=content_id,
        words=f" {' '.join(words)} ",
    )


def write_words(tx: Any, site_id: str, content_id: str, old_title: str, new_title: str) -> None:
    """Into the transaction `tx`: the word items of `new_title`, and the removal of the words of
    `old_title` it no longer has. Nothing when the words are the same."""
    old = title_words(old_title)
    new = title_words(new_title)
    if old == new:
        return
    for word in new:
        tx.save(_item(site_id, content_id, word, new))
    for word in set(old) - set(new):
        tx.delete(_item(site_id, content_id, word, old))


def put_words(site_id: str, content_id: str, title: str) -> list[TitleWordModel]:
    """Put the word items of a new item's title (before the item: see above); returns them."""
    words = title_words(title)
    items = [_item(site_id, content_id, word, words) for word in words]
    for item in items:
        item.save()
    return items


def delete_words(items: list[TitleWordModel]) -> None:
    """Delete word items put by `put_words` (their create was refused)."""
    for item in items:
        item.delete()


def words_change(old_title: str, new_title: str) -> bool:
    """Whether an edit of the title changes its word items."""
    return title_words(old_title) != title_words(new_title)


def search_page(site_id: str, words: list[str], page: PageRequest) -> tuple[list[str], str | None]:
    """Ids of the site's content whose titles hold every word of `words` (a page, and the cursor)."""
    key_word = max(words, key=len)
    condition = None
    for word in words:
        if word != key_word:
            holds = TitleWordModel.words.contains(f" {word} ")
            condition = holds if condition is None else condition & holds
    found, cursor = query_page(
        TitleWordModel.query,
        TitleWordModel.key_of(site_id),
        TitleWordModel.position.startswith(f"{key_word}#"),
        page=page,
        filter_condition=condition,
    )
    return [item.content_id for item in found], cursor


def content_of(ids: list[str]) -> list[ContentModel]:
    """The content items of `ids` that still exist, in that order (one BatchGetItem per 100)."""
    found = {item.content_id: item for item in ContentModel.batch_get(ids)}
    return [found[content_id] for content_id in ids if content_id in found]
