"""Bilingual text for messages made in the engine (the UI is Russian first)."""
from __future__ import annotations

from typing import NamedTuple


class Text(NamedTuple):
    ru: str
    en: str

    def get(self, locale: str | None) -> str:
        return self.en if (locale or "ru").startswith("en") else self.ru

    def format(self, **kwargs: object) -> Text:
        return Text(self.ru.format(**kwargs), self.en.format(**kwargs))

    def __str__(self) -> str:
        return self.ru


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """The Russian form of a word after the number ``n``: 1 день, 2 дня, 5 дней, 11 дней, 21 день."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    return few if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else many


def counted(n: int, one: str, few: str, many: str) -> str:
    """``n`` with its Russian word: counted(3, "день", "дня", "дней") is «3 дня»."""
    return f"{n} {plural_ru(n, one, few, many)}"
