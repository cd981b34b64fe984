"""The evaluation editions' API answers as pydantic models (routes declare them; the
OpenAPI description is generated from them)."""
from __future__ import annotations

from engine.outputs import Out  # one base for every API answer: extra keys refused


class EditionItem(Out):
    id: int
    region_id: int
    title: str
    kind: str  # interim | final
    as_of: str
    status: str  # draft | signed
    signed_by: int | None
    signed_by_name: str | None
    signed_at: str | None
    created_by: int | None
    created_at: str | None
    version: int


class EditionList(Out):
    items: list[EditionItem]
    total: int


class FigureRow(Out):
    """One indicator: a stable ``key`` (``participants``, ``stage.diagnose``,
    ``readiness.leadership`` ...), its ``group`` (main | stage | readiness), titles, unit
    and value (None: nothing known)."""
    key: str
    group: str
    title_ru: str
    title_en: str
    unit: str
    value: int | float | None


class Edition(EditionItem):
    """One edition with its figures: stored at signing, or (``live``) computed now for a draft."""
    live: bool
    rows: list[FigureRow]


class CompareRow(Out):
    key: str
    group: str
    title_ru: str
    title_en: str
    unit: str
    a: int | float | None
    b: int | float | None
    change: float | None
    change_pct: float | None


class EditionCompare(Out):
    a: EditionItem
    b: EditionItem
    rows: list[CompareRow]


class EditionDeleted(Out):
    id: int
    deleted: bool
