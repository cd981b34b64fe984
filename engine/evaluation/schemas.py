"""Input schemas of the evaluation editions' mutations (validated with ``engine.schemas.parse``;
the API's OpenAPI description is generated from the same classes)."""
from __future__ import annotations

from typing import Literal

from engine.schemas import Input, IsoDate, _text


class EditionIn(Input):
    """POST /regions/<id>/editions: an edition of the region as of a date (not in the
    future): «Промежуточный анализ на 31.12.2020» (interim) or «Итоговая оценка» (final)."""
    title: str = _text(300)
    kind: Literal["interim", "final"] = "interim"
    as_of: IsoDate


class EditionPatch(Input):
    """PATCH /editions/<id>: a draft's title, kind or date; ``version`` guards a colleague's change."""
    title: str | None = _text(300, default=None)
    kind: Literal["interim", "final"] | None = None
    as_of: IsoDate | None = None
    version: int | None = None


class EditionSign(Input):
    """POST /editions/<id>/sign: store the figures as computed now and freeze the edition."""
    version: int | None = None
