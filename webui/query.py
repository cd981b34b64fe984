"""The query string, read alike by the pages and the API.

* ``search_arg("q")``: the search text (engine/search.py: control characters dropped,
  None when empty, 422 naming the parameter beyond 500 characters).
* Control characters (NUL among them) in a query parameter's name or value: the API
  answers 422 naming the parameter (``control_params``); the pages drop them before any
  view reads the query (``clean_page_args``), so ``?state=%00`` reads as an empty state.
"""
from __future__ import annotations

from flask import request
from werkzeug.datastructures import ImmutableMultiDict

from engine.search import CONTROL, search_text
from engine.text import Text

CONTROL_CHARACTER = Text("Недопустимый управляющий символ", "Control characters are not allowed")


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
