"""Input schemas for every mutation. Services validate with them; the API's OpenAPI
description is generated from the same classes, so the two cannot drift apart."""
from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from engine import vocab
from engine.errors import BadRequest, ValidationFailed
from engine.numbers import HOURS_MAX, METRIC_ABS_MAX, ROUBLES_MAX
from engine.text import Text

# engine/vocab.py's values as plain strings (a Literal keeps "literal_error" and the OpenAPI's inline enum)
if TYPE_CHECKING:
    # mypy cannot read a Literal built at run time: the same values, written out
    # (tests/engine/test_schema_types.py keeps them equal to engine/vocab.py)
    OrgKind = Literal["school", "kindergarten", "college", "other"]
    Waste = Literal["transport", "inventory", "motion", "waiting", "overproduction", "overprocessing",
                    "defects", "talent"]
    ArtefactKind = Literal["current_state_map", "target_state_map", "standard", "report", "other"]
    RiskStatus = Literal["open", "mitigating", "resolved", "accepted"]
    ActionStatus = Literal["open", "done", "dropped"]
    Direction = Literal["decrease", "increase"]
    MunicipalityKind = Literal["city", "district"]
else:
    OrgKind = Literal[vocab.ORG_KINDS]
    Waste = Literal[vocab.WASTES]
    ArtefactKind = Literal[vocab.ARTEFACT_KINDS]
    RiskStatus = Literal[vocab.RISK_STATUSES]
    ActionStatus = Literal[vocab.ACTION_STATUSES]
    Direction = Literal[vocab.DIRECTIONS]
    MunicipalityKind = Literal[vocab.values(vocab.MunicipalityKind)]
Role = Literal["member", "head", "coordinator", "curator", "admin"]

# Texts of several lines (a textarea on the pages): newline and tab are kept, "\r\n" and a
# lone "\r" become "\n". Every other text field is one line.
LONG_TEXT_FIELDS = frozenset({"problem", "goal", "description", "text", "summary", "solution",
                              "standard", "mitigation", "comment", "reason", "remarks", "message"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_LONG_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # \t and \n allowed


def _accepts_none(annotation: Any) -> bool:
    import typing
    return annotation is Any or type(None) in typing.get_args(annotation)


class Input(BaseModel):
    # inf/nan are not numbers anyone measures; NUL cannot be stored in PostgreSQL text
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _plain_text_and_no_null(cls, value: Any, info: ValidationInfo) -> Any:
        """Control characters (0x00-0x1F, 0x7F) are refused in every text: one of them in a
        title broke the region's XLSX export; long texts keep newline and tab. A JSON null
        for a field that has no "no value" (an optional title of a PATCH) is refused as
        "must not be empty", the same as the OpenAPI description says (not nullable)."""
        name = info.field_name or ""
        if value is None:
            field = cls.model_fields.get(name)
            if field is not None and not _accepts_none(field.annotation):
                raise PydanticCustomError("null_not_allowed", "must not be null")
            return value
        if isinstance(value, str):
            if name in LONG_TEXT_FIELDS:
                value = value.replace("\r\n", "\n").replace("\r", "\n")
                bad = _CONTROL_IN_LONG_TEXT
            else:
                bad = _CONTROL
            if bad.search(value):
                raise PydanticCustomError("control_character", "control characters are not allowed")
        elif isinstance(value, dict) and any(isinstance(k, str) and _CONTROL.search(k) for k in value):
            raise PydanticCustomError("control_character", "control characters are not allowed")
        return value


class _Patch(Input):
    """A change: a PATCH must name at least one field to change (besides ``version``)."""

    @model_validator(mode="after")
    def _something_to_change(self) -> Any:
        if not self.model_fields_set - {"version"}:
            raise PydanticCustomError("empty_patch", "nothing to change")
        return self


def _text(max_length: int, min_length: int = 1, **kw: Any) -> Any:
    return Field(min_length=min_length, max_length=max_length, **kw)


def _no_null_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _if_given(**kw: Any) -> Any:
    """An optional field of a PATCH that cannot be cleared: absent means "no change",
    null is refused (the OpenAPI description shows it as not nullable, without a default)."""
    return Field(default=None, json_schema_extra=_no_null_default, **kw)


def _iso_date(value: Any) -> Any:
    """Dates are ISO 8601 strings (API.md): pydantic's lax mode would read 0 as 1970-01-01
    and "1700000000" as a Unix time."""
    if isinstance(value, date) or value is None:
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return value.strip()
    raise PydanticCustomError("date_type", "must be an ISO date")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _metric_value(**kw: Any) -> Any:
    return Field(ge=-METRIC_ABS_MAX, le=METRIC_ABS_MAX, **kw)


class RegionIn(Input):
    name: str = _text(200)
    code: str = Field(default="", max_length=20)


class MunicipalityIn(Input):
    region_id: int
    name: str = _text(200)
    kind: MunicipalityKind = "district"


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


class OrganizationPatch(_Patch, _WithInn):
    municipality_id: int | None = None
    name: str | None = _text(300, default=None)
    kind: OrgKind | None = None


class MunicipalityPatch(_Patch):
    name: str | None = _text(200, default=None)
    kind: MunicipalityKind | None = None


class UserPatch(_Patch):
    name: str | None = _text(200, default=None)


class UserIn(Input):
    email: str = _text(254)
    name: str = _text(200)
    password: str = Field(min_length=8, max_length=200)
    role: Role
    org_id: int | None = None
    region_id: int | None = None
    municipality_id: int | None = None  # a municipal curator (instead of region_id)

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
    planned_hours_saved: float | None = Field(default=None, ge=0, le=HOURS_MAX)
    actual_hours_saved: float | None = Field(default=None, ge=0, le=HOURS_MAX)
    planned_roubles: float | None = Field(default=None, ge=0, le=ROUBLES_MAX)
    actual_roubles: float | None = Field(default=None, ge=0, le=ROUBLES_MAX)
    milestones: dict[str, IsoDate] | None = None


class ProjectCreate(CardFields):
    org_id: int
    title: str = _text(300)
    problem: str = _text(10_000)
    goal: str = _text(10_000)
    workflow: str | None = Field(default=None, max_length=50)


class ProjectPatch(_Patch, CardFields):
    version: int
    title: str = _if_given(min_length=1, max_length=300)
    problem: str = _if_given(min_length=1, max_length=10_000)
    goal: str = _if_given(min_length=1, max_length=10_000)


class MetricIn(Input):
    name: str = _text(200)
    unit: str = Field(default="", max_length=50)
    direction: Direction
    baseline: float | None = _metric_value(default=None)
    target: float | None = _metric_value(default=None)


class MetricPatch(_Patch):
    name: str = _if_given(min_length=1, max_length=200)
    unit: str | None = Field(default=None, max_length=50)
    direction: Direction = _if_given()
    baseline: float | None = _metric_value(default=None)
    target: float | None = _metric_value(default=None)


class MeasurementIn(Input):
    value: float = _metric_value()
    measured_on: IsoDate


class ProblemIn(Input):
    description: str = _text(5000)
    waste: Waste


class ActionIn(Input):
    title: str = _text(300)
    due_on: IsoDate | None = None
    owner_id: int | None = None


class ActionPatch(_Patch):
    status: ActionStatus = _if_given()
    title: str = _if_given(min_length=1, max_length=300)
    due_on: IsoDate | None = None
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
    due_on: IsoDate | None = None


class RiskPatch(_Patch):
    status: RiskStatus = _if_given()
    title: str = _if_given(min_length=1, max_length=300)
    probability: int = _if_given(ge=1, le=5)
    impact: int = _if_given(ge=1, le=5)
    mitigation: str | None = Field(default=None, max_length=5000)
    owner_id: int | None = None
    due_on: IsoDate | None = None


SCALING_PROPOSAL_MAX = 2000


class TransitionIn(Input):
    trigger: str = _text(50)
    version: int
    comment: str | None = Field(default=None, max_length=5000)
    # closing moves only: «Где ещё это применимо и при каких условиях?» (PROGRAMME.md)
    scaling_proposal: str | None = Field(default=None, max_length=SCALING_PROPOSAL_MAX)


class ApproveIn(Input):
    comment: str | None = Field(default=None, max_length=5000)
    # approving a closing move: the scaling proposal as the approver words it (absent: the request's)
    scaling_proposal: str | None = Field(default=None, max_length=SCALING_PROPOSAL_MAX)


class RejectIn(Input):
    comment: str = _text(5000)


class WithdrawIn(Input):
    comment: str | None = Field(default=None, max_length=5000)


class NotificationsReadIn(Input):
    """Which of one's notifications to mark read: ``ids``, or all when absent."""
    ids: list[Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]] | None = Field(default=None, max_length=1000)


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
    "control_character": Text("Недопустимые символы: управляющие символы (коды 0–31 и 127) не допускаются",
                              "Characters not allowed: control characters (codes 0-31 and 127)"),
    "null_not_allowed": Text("Поле не может быть пустым (null)", "Must not be null"),
    "empty_patch": Text("Нечего изменять: укажите хотя бы одно поле", "Nothing to change: give at least one field"),
    "date_from_datetime_inexact": Text("Нужна дата в формате ГГГГ-ММ-ДД", "Must be a date (YYYY-MM-DD)"),
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


def _readable(value: Any) -> Any:
    """A bound for a message: 1e9 as "1 000 000 000", 0.0 as "0"."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", "\u00a0")
    return value


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
            ctx = {k: _readable(v) for k, v in (err.get("ctx") or {}).items()}
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
