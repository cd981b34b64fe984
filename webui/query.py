"""The query string, read alike by the pages and the API.

* ``int_arg("page")``: an integer parameter. The API (``strict=True``) answers 422 naming
  it when it is not a whole number in range; the pages, which never fail on a hand-edited
  URL, read such a value as absent.
* ``search_arg("q")``: the search text (engine/search.py: control characters dropped,
  None when empty, 422 naming the parameter beyond 500 characters).
* Control characters (NUL among them) in a query parameter's name or value: the API
  answers 422 naming the parameter (``control_params``); the pages drop them before any
  view reads the query (``clean_page_args``), so ``?state=%00`` reads as an empty state.
"""
from __future__ import annotations

from flask import request
from werkzeug.datastructures import ImmutableMultiDict

from engine.errors import ValidationFailed
from engine.search import CONTROL, search_text
from engine.services.common import INT_MAX
from engine.text import Text

CONTROL_CHARACTER = Text("Недопустимый управляющий символ", "Control characters are not allowed")
NOT_WHOLE = Text("Нужно целое число", "Must be a whole number")


def int_arg(name: str, default: int | None = None, lo: int | None = None, hi: int | None = None,
            *, strict: bool = False) -> int | None:
    """The integer query (or form) parameter ``name`` in [lo, hi], never beyond the
    database's integers; ``default`` when absent.

    ``strict`` (the API): present but empty, not a whole number or out of range is a 422
    naming the parameter. Otherwise (the pages): only digits count (no sign), and anything
    else reads as ``default``.
    """
    raw = request.values.get(name)
    if raw is None:
        return default
    lo = -INT_MAX - 1 if lo is None else lo
    hi = INT_MAX if hi is None else hi
    if not strict:
        raw = raw.strip()
        if not raw.isdecimal():
            return default
    try:
        value = int(raw)
    except ValueError:  # not a number, or 4,300 digits and more (Python's limit)
        if not strict:
            return default
        raise ValidationFailed({name: NOT_WHOLE}) from None
    if not strict:
        return value if lo <= value <= hi else default
    if not lo <= value <= hi:
        raise ValidationFailed({name: Text(f"Допустимо от {lo} до {hi}", f"Allowed: {lo} to {hi}")})
    return value


def search_arg(name: str = "q") -> str | None:
    return search_text(request.args.get(name), name)


def control_params(names: set[str] | None = None) -> dict[str, Text]:
    """{parameter: message} for the query parameters (all, or those in ``names``) whose
    name or value holds a control character; the name is given without them."""
    bad: dict[str, Text] = {}
    for name, value in request.args.items(multi=True):
        if (names is None or name in names) and (CONTROL.search(name) or CONTROL.search(value)):
            bad[CONTROL.sub("", name) or "query"] = CONTROL_CHARACTER
    return bad


def clean_page_args() -> None:
    """Replace the request's query parameters by the same without control characters."""
    args = request.args
    if not any(CONTROL.search(k) or CONTROL.search(v) for k, v in args.items(multi=True)):
        return
    cleaned = ImmutableMultiDict([(CONTROL.sub("", k), CONTROL.sub("", v)) for k, v in args.items(multi=True)])
    request.args = cleaned  # type: ignore[misc]  # werkzeug's cached_property accepts a value
    request.__dict__.pop("values", None)  # request.values (args + form) is built again from them
