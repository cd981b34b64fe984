"""Input schemas of the portfolio «Бережливая школа» (engine/practices.py): publish,
update, withdraw, replicate. Validated with ``engine.schemas.parse``, so a bad field is
named in ``ValidationFailed`` like everywhere else."""
from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from engine.practices.categories import categories, category_id_of, category_ids
from engine.schemas import Input, _if_given, _Patch, _text

# None for a field typed ``str``: absent from a PATCH means "no change"
_ABSENT: Any = None


def _check_category(value: str | None) -> str | None:
    """A category of engine/data/practice_categories.yaml (a list in data, not code): its
    id, or its title as people write it («питание»); stored as the id."""
    if value is None:
        return None
    found = category_id_of(value) if isinstance(value, str) else None
    if found is None:
        # "literal_error": engine.schemas.parse words it as "not allowed; expected one of ..."
        raise PydanticCustomError("literal_error", "Input should be one of {expected}",
                                  {"expected": ", ".join(category_ids())})
    return found


def _category_enum(schema: dict[str, Any]) -> None:
    """The OpenAPI description lists the categories the data file defines."""
    target = schema
    if "anyOf" in schema:  # optional: [string, null]
        target = next((s for s in schema["anyOf"] if s.get("type") == "string"), schema)
    # the ids, then the Russian titles (lower case, as DOMAIN.md writes them): both are taken
    target["enum"] = category_ids() + [c.title.ru.lower() for c in categories()]


def _category_enum_no_default(schema: dict[str, Any]) -> None:
    """PATCH: the category may be left out, but not cleared (no null, no default)."""
    schema.pop("default", None)
    _category_enum(schema)


class _PracticeText(Input):
    """The texts a publish and an edit share, and the category check."""
    title: str | None = _text(300, default=None)
    problem: str | None = Field(default=None, max_length=10_000)
    solution: str | None = Field(default=None, max_length=20_000)
    standard: str | None = Field(default=None, max_length=100_000)
    # «Где ещё это применимо и при каких условиях?»: the project's answer unless given here
    scaling_proposal: str | None = Field(default=None, max_length=2000)

    @field_validator("category", check_fields=False)
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        return _check_category(value)


class PracticePublish(_PracticeText):
    """POST /projects/<id>/publish. Only ``category`` and ``summary`` are required; the
    rest defaults to what the project says (title, problem, its done actions as the
    solution, its standard artefact as the standard)."""
    category: str = Field(max_length=50, json_schema_extra=_category_enum)
    summary: str = _text(10_000)


class PracticePatch(_Patch, _PracticeText):
    """PATCH /practices/<id>: the fields to change; ``version`` (optional) guards against
    overwriting a colleague's edit. The measured effect is recomputed on every update."""
    version: int | None = None
    title: str = _if_given(min_length=1, max_length=300)
    category: str = Field(default=_ABSENT, max_length=50, json_schema_extra=_category_enum_no_default)
    summary: str = _if_given(min_length=1, max_length=10_000)


class PracticeWithdraw(Input):
    """POST /practices/<id>/withdraw: the practice leaves the catalogue (kept in history)."""
    reason: str | None = Field(default=None, max_length=5000)


class ReplicateIn(Input):
    """POST /practices/<id>/replicate: the organisation the new project belongs to;
    ``confirm`` when the organisation has replicated this practice already (else 409);
    ``leader_id`` (a person of that organisation) leads it, the actor by default."""
    org_id: int
    confirm: bool = False
    leader_id: int | None = None


PRACTICE_TEXT_FIELDS = ("title", "category", "problem", "summary", "solution", "standard", "scaling_proposal")
