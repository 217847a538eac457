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
