"""Domain errors. Adapters map them: NotFound->404, Forbidden->403, Conflict->409,
ValidationFailed/GateFailed/NotPublishable->422. Nothing is written when one is raised."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from engine.text import Text


class DomainError(Exception):
    code = "error"

    def __init__(self, message: Text | str, details: dict | None = None):
        self.text = message if isinstance(message, Text) else Text(message, message)
        self.details = details or {}
        super().__init__(self.text.ru)

    def message(self, locale: str | None = "ru") -> str:
        return self.text.get(locale)


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, what: str = "object"):
        # ``what`` is for logs and tests only: the answer is the same for every object, and
        # for a missing one and one outside the caller's scope (which would reveal existence)
        self.what = what
        super().__init__(Text("Объект не найден", "Not found"))


class Forbidden(DomainError):
    code = "forbidden"

    def __init__(self, message: Text | None = None):
        super().__init__(message or Text("Недостаточно прав для этого действия",
                                         "You may not do this"))


class BadRequest(DomainError):
    code = "bad_request"

    def __init__(self) -> None:
        super().__init__(Text("Тело запроса должно быть объектом JSON",
                              "The request body must be a JSON object"))


class Conflict(DomainError):
    code = "conflict"


CARD_CHANGED = Text("Карточка изменена другим пользователем; обновите страницу",
                    "The card was changed by someone else; reload it")
DATA_CHANGED = Text("Эти данные уже изменил другой пользователь; обновите страницу",
                    "Someone else has changed this meanwhile; reload the page")


class StaleVersion(Conflict):
    """A write based on an old version. The message names a project's card; anything else
    (a practice, a programme, a readiness answer, a work plan) says «эти данные»."""

    def __init__(self, current: int | None = None, text: Text = CARD_CHANGED):
        super().__init__(text, {"current_version": current} if current is not None else {})


class ValidationFailed(DomainError):
    code = "validation_failed"

    def __init__(self, fields: dict[str, Text]):
        self.fields = fields
        super().__init__(Text("Проверьте введённые данные", "Please check the input"))

    def field_messages(self, locale: str | None = "ru") -> dict[str, str]:
        return {name: text.get(locale) for name, text in self.fields.items()}


@dataclass
class Unmet:
    check: str
    text: Text

    def as_dict(self, locale: str | None = "ru") -> dict:
        return {"check": self.check, "message": self.text.get(locale)}


class GateFailed(DomainError):
    code = "gate_failed"

    def __init__(self, unmet: list[Unmet]):
        self.unmet = unmet
        super().__init__(Text("Не выполнены условия перехода", "The gate's checks are not met"))


class NotPublishable(DomainError):
    code = "not_publishable"


def field_path(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as a data file's field: ``stages[2].title``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(file)"


def spec_problems(exc: ValidationError, filename: str) -> list[tuple[str, str, str]]:
    """A data file's validation errors as ``(file, field, message)``: an unknown key, a
    missing key, or pydantic's message with the value found (workflows, questionnaires,
    the demo's content)."""
    problems = []
    for err in exc.errors():
        if err["type"] == "extra_forbidden":
            msg = f"unknown key {err['loc'][-1]!r}"
        elif err["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = f"{err['msg']} (value: {err.get('input')!r})"
        problems.append((filename, field_path(err["loc"]), msg))
    return problems


class DataFileError(Exception):
    """A broken data file (a workflow, the demo's content): ``str()`` is one
    ``file: field: message`` line per problem, so start-up and the CLI print it as is."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems  # (file, field, message)
        super().__init__("\n".join(f"{f}: {fld}: {msg}" for f, fld, msg in problems))
