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
