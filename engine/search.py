"""Search text a person typed (``q``): its bound, and a LIKE condition that matches it
literally on both databases.

    q = search_text(raw)                      # None when empty; 422 naming ``q`` when too long
    stmt = stmt.where(contains((Project.title, Project.reg_number), q))

``%`` and ``_`` are LIKE's wildcards and ``\\`` is our escape character: each is escaped,
so «100%» finds only «100%». Control characters (NUL among them, which PostgreSQL text
cannot hold) are dropped: nobody types them into a search box.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_

from engine.errors import ValidationFailed
from engine.text import Text

MAX_QUERY = 500  # characters of ``q``; SQLite refuses LIKE patterns beyond 50,000 bytes
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ESCAPE = "\\"


def too_long(field: str = "q") -> ValidationFailed:
    return ValidationFailed({field: Text(f"Слишком длинный запрос (не более {MAX_QUERY} символов)",
                                         f"Too long (at most {MAX_QUERY} characters)")})


def search_text(raw: str | None, field: str = "q") -> str | None:
    """The search text without control characters and surrounding spaces; None when
    nothing is left. Longer than MAX_QUERY characters: ValidationFailed naming ``field``."""
    if raw is None:
        return None
    if len(raw) > MAX_QUERY:
        raise too_long(field)
    text = CONTROL.sub("", raw).strip()
    return text or None


def like_escape(text: str) -> str:
    """``text`` with LIKE's special characters escaped (escape character ``\\``)."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def contains(columns: Iterable[Any], text: str) -> Any:
    """SQL: any of ``columns`` contains ``text`` literally, ignoring case (SQLite's lower()
    is Unicode-aware here: engine/db.py registers it)."""
    pattern = f"%{like_escape(text.lower())}%"
    return or_(*(func.lower(c).like(pattern, escape=ESCAPE) for c in columns))
