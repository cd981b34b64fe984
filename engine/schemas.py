"""Input schemas for every mutation. Services validate with them; the API's OpenAPI
description is generated from the same classes, so the two cannot drift apart."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from engine.errors import BadRequest, ValidationFailed
from engine.text import Text

OrgKind = Literal["school", "kindergarten", "college", "other"]
Waste = Literal["transport", "inventory", "motion", "waiting", "overproduction",
                "overprocessing", "defects", "talent"]
ArtefactKind = Literal["current_state_map", "target_state_map", "standard", "report", "other"]
RiskStatus = Literal["open", "mitigating", "resolved", "accepted"]
ActionStatus = Literal["open", "done", "dropped"]
Direction = Literal["decrease", "increase"]
Role = Literal["member", "head", "curator", "admin"]




class Input(BaseModel):
    # inf/nan are not numbers anyone measures; NUL cannot be stored in PostgreSQL text
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


def _text(max_length: int, min_length: int = 1, **kw: Any) -> Any:
    return Field(min_length=min_length, max_length=max_length, **kw)


class RegionIn(Input):
    name: str = _text(200)
    code: str = Field(default="", max_length=20)


class MunicipalityIn(Input):
    region_id: int
    name: str = _text(200)
    kind: Literal["city", "district"] = "district"


def inn_is_valid(inn: str) -> bool:
    """ИНН: 10 digits (an organisation) or 12 (a person), with the tax service's check digits."""
    def check(digits: str, weights: tuple[int, ...]) -> int:
        return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10

    if not inn.isascii() or not inn.isdigit():
        return False
    if len(inn) == 10:
        return check(inn, (2, 4, 10, 3, 5, 9, 4, 6, 8)) == int(inn[9])
    if len(inn) == 12:
        return (check(inn, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == int(inn[10])
                and check(inn, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == int(inn[11]))
    return False


def _inn(v: str | None) -> str | None:
    if v is None or v == "":
        return None
    if not inn_is_valid(v):
        raise PydanticCustomError("inn", "not a valid INN")
    return v


class _WithInn(Input):
    """An organisation's optional ИНН, checked the same way on creation and on change."""
    inn: str | None = Field(default=None, max_length=12)

    @field_validator("inn")
    @classmethod
    def _check_inn(cls, v: str | None) -> str | None:
        return _inn(v)


class OrganizationIn(_WithInn):
    municipality_id: int
    name: str = _text(300)
    kind: OrgKind


class OrganizationPatch(_WithInn):
    municipality_id: int | None = None
    name: str | None = _text(300, default=None)
    kind: OrgKind | None = None


class UserPatch(Input):
    name: str | None = _text(200, default=None)


class UserIn(Input):
    email: str = _text(254)
    name: str = _text(200)
    password: str = Field(min_length=8, max_length=200)
    role: Role
    org_id: int | None = None
    region_id: int | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        v = v.lower()
        local, _, domain = v.partition("@")
        if not local or "." not in domain or " " in v:
            raise ValueError("email")
        return v


CARD_FIELDS = ("title", "problem", "goal", "sponsor", "leader_id", "process_owner",
               "process_start", "process_end", "planned_hours_saved", "actual_hours_saved",
               "planned_roubles", "actual_roubles", "milestones")


class CardFields(Input):
    sponsor: str | None = Field(default=None, max_length=200)
    leader_id: int | None = None
    process_owner: str | None = Field(default=None, max_length=200)
    process_start: str | None = Field(default=None, max_length=500)
    process_end: str | None = Field(default=None, max_length=500)
    planned_hours_saved: float | None = Field(default=None, ge=0)
    actual_hours_saved: float | None = Field(default=None, ge=0)
    planned_roubles: float | None = Field(default=None, ge=0)
    actual_roubles: float | None = Field(default=None, ge=0)
    milestones: dict[str, date] | None = None


class ProjectCreate(CardFields):
    org_id: int
    title: str = _text(300)
    problem: str = _text(10_000)
    goal: str = _text(10_000)
    workflow: str | None = Field(default=None, max_length=50)


class ProjectPatch(CardFields):
    version: int
    title: str | None = _text(300, default=None)
    problem: str | None = _text(10_000, default=None)
    goal: str | None = _text(10_000, default=None)


class MetricIn(Input):
    name: str = _text(200)
    unit: str = Field(default="", max_length=50)
    direction: Direction
    baseline: float | None = None
    target: float | None = None


class MetricPatch(Input):
    name: str | None = _text(200, default=None)
    unit: str | None = Field(default=None, max_length=50)
    direction: Direction | None = None
    baseline: float | None = None
    target: float | None = None


class MeasurementIn(Input):
    value: float
    measured_on: date


class ProblemIn(Input):
    description: str = _text(5000)
    waste: Waste


class ActionIn(Input):
    title: str = _text(300)
    due_on: date | None = None
    owner_id: int | None = None


class ActionPatch(Input):
    status: ActionStatus | None = None
    title: str | None = _text(300, default=None)
    due_on: date | None = None
    owner_id: int | None = None


class ArtefactIn(Input):
    kind: ArtefactKind
    title: str = _text(300)
    url: str | None = Field(default=None, max_length=1000)
    text: str | None = Field(default=None, max_length=100_000)


class RiskIn(Input):
    title: str = _text(300)
    probability: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    mitigation: str | None = Field(default=None, max_length=5000)
    owner_id: int | None = None
    due_on: date | None = None


class RiskPatch(Input):
    status: RiskStatus | None = None
    title: str | None = _text(300, default=None)
    probability: int | None = Field(default=None, ge=1, le=5)
    impact: int | None = Field(default=None, ge=1, le=5)
    mitigation: str | None = Field(default=None, max_length=5000)
    owner_id: int | None = None
    due_on: date | None = None


class TransitionIn(Input):
    trigger: str = _text(50)
    version: int
    comment: str | None = Field(default=None, max_length=5000)


class ApproveIn(Input):
    comment: str | None = Field(default=None, max_length=5000)


class RejectIn(Input):
    comment: str = _text(5000)


class CommentIn(Input):
    text: str = _text(10_000)


class TeamMemberIn(Input):
    user_id: int
    role_text: str = Field(default="", max_length=200)


# --- pydantic errors -> field messages in Russian and English ------------------------

_MESSAGES: dict[str, Text] = {
    "missing": Text("Обязательное поле", "This field is required"),
    "string_too_short": Text("Поле не может быть пустым", "Must not be empty"),
    "string_too_long": Text("Слишком длинное значение (не более {max_length} символов)",
                            "Too long (at most {max_length} characters)"),
    "int_parsing": Text("Нужно целое число", "Must be a whole number"),
    "int_type": Text("Нужно целое число", "Must be a whole number"),
    "int_from_float": Text("Нужно целое число", "Must be a whole number"),
    "float_parsing": Text("Нужно число", "Must be a number"),
    "float_type": Text("Нужно число", "Must be a number"),
    "finite_number": Text("Нужно конечное число", "Must be a finite number"),
    "greater_than_equal": Text("Значение должно быть не меньше {ge}", "Must be at least {ge}"),
    "less_than_equal": Text("Значение должно быть не больше {le}", "Must be at most {le}"),
    "literal_error": Text("Недопустимое значение; допустимо: {expected}",
                          "Not allowed; expected one of: {expected}"),
    "date_from_datetime_parsing": Text("Нужна дата в формате ГГГГ-ММ-ДД", "Must be a date (YYYY-MM-DD)"),
    "date_parsing": Text("Нужна дата в формате ГГГГ-ММ-ДД", "Must be a date (YYYY-MM-DD)"),
    "date_type": Text("Нужна дата в формате ГГГГ-ММ-ДД", "Must be a date (YYYY-MM-DD)"),
    "string_type": Text("Нужна строка текста", "Must be text"),
    "bool_type": Text("Нужно значение да/нет", "Must be true or false"),
    "dict_type": Text("Нужен объект", "Must be an object"),
    "extra_forbidden": Text("Неизвестное поле", "Unknown field"),
    "value_error": Text("Неверный адрес электронной почты", "Not a valid e-mail address"),
    "inn": Text("Неверный ИНН: нужно 10 цифр (организация) или 12, с верными контрольными цифрами",
                "Not a valid INN: 10 digits (an organisation) or 12, with correct check digits"),
}
_FALLBACK = Text("Неверное значение", "Invalid value")
_NUL = Text("Недопустимый символ в тексте", "The text holds a character that is not allowed")


def _types(annotation: Any) -> set[Any]:
    import typing
    args = typing.get_args(annotation)
    return set(args) if args else {annotation}


def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "body"


def parse(schema: type[BaseModel], data: Any) -> Any:
    """Validate ``data`` against ``schema``; ValidationFailed names each bad field."""
    if not isinstance(data, dict):
        raise BadRequest()
    nul = {str(k): _NUL for k, v in data.items() if isinstance(v, str) and "\x00" in v}
    if nul:
        raise ValidationFailed(nul)
    # JSON true/false are not numbers (pydantic's lax mode would take true as 1)
    booleans = {str(k): _MESSAGES["float_type"] for k, v in data.items()
                if isinstance(v, bool) and k in schema.model_fields
                and bool not in _types(schema.model_fields[k].annotation)}
    if booleans:
        raise ValidationFailed(booleans)
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, Text] = {}
        for err in exc.errors():
            ctx = dict(err.get("ctx") or {})
            if "expected" in ctx:
                ctx["expected"] = str(ctx["expected"]).replace("'", "")
            template = _MESSAGES.get(err["type"], _FALLBACK)
            try:
                text = template.format(**ctx)
            except (KeyError, IndexError):
                text = template
            fields.setdefault(_field_name(err["loc"]), text)
        raise ValidationFailed(fields) from None


class RoleRevoke(Input):
    """Which of a user's role grants to remove: the role, and its organisation (member,
    head) or region (curator) when the user holds that role in several places."""
    role: Role
    org_id: int | None = None
    region_id: int | None = None
    municipality_id: int | None = None  # no grant carries a municipality yet: refused with a message
