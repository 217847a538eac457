"""Small text rules shared by sites and content."""

from __future__ import annotations

import re
import unicodedata

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_SLUG_LENGTH = 80


def slugify(text: str, *, max_length: int = MAX_SLUG_LENGTH) -> str:
    """`"Héllo, World!"` → `"hello-world"`; never empty (falls back to "item")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:max_length].rstrip("-")
    return slug or "item"


MAX_TITLE_WORDS = 30
"""A title is searchable by its first 30 distinct words (each one index item, written with the
title in one transaction: 30 words in, 30 out, the item and its claims stay under DynamoDB's 100)."""
MAX_WORD_LENGTH = 64


def title_words(text: str) -> list[str]:
    """The distinct search words of a text, in order: letters and digits, case- and accent-folded
    (`"Café au LAIT, café!"` → `["cafe", "au", "lait"]`), at most MAX_TITLE_WORDS."""
    folded = "".join(
        char for char in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(char)
    )
    words = dict.fromkeys(word[:MAX_WORD_LENGTH] for word in re.findall(r"[^\W_]+", folded))
    return list(words)[:MAX_TITLE_WORDS]
