"""The categories of practices: a list in data (engine/data/practice_categories.yaml), not
code. Its own module, so that the input schemas and the portfolio service both read it
without importing each other."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from engine.text import Text

CATEGORIES_FILE = Path(__file__).resolve().parent.parent / "data" / "practice_categories.yaml"


@dataclass(frozen=True)
class Category:
    id: str
    title: Text


@lru_cache(maxsize=1)
def categories() -> tuple[Category, ...]:
    """The categories of engine/data/practice_categories.yaml, in file order."""
    raw = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8")) or {}
    out = [Category(str(item["id"]), Text(str(item["title"]["ru"]), str(item["title"]["en"])))
           for item in raw.get("categories") or []]
    ids = [c.id for c in out]
    if not ids or len(set(ids)) != len(ids):
        raise ValueError(f"{CATEGORIES_FILE}: category ids must be present and unique")
    return tuple(out)


def category_ids() -> list[str]:
    """The category ids, in file order."""
    return [c.id for c in categories()]


def category_id_of(value: str) -> str | None:
    """The id a person means: the id itself, or a category's Russian or English title
    as DOMAIN.md writes them («питание», «Приём детей»), ignoring case, ё/е and spaces."""
    def norm(text: str) -> str:
        return " ".join(text.lower().replace("ё", "е").split())
    wanted = norm(value)
    return next((c.id for c in categories() if wanted in (c.id, norm(c.title.ru), norm(c.title.en or ""))), None)


def category_title(category_id: str) -> Text:
    """A category's title; an unknown id is its own title."""
    return next((c.title for c in categories() if c.id == category_id), Text(category_id, category_id))
