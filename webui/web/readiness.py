"""The readiness questionnaire page (issue #13 item 5): an organisation's answer to a
round at /rounds/<id>/answer?org_id=N. Its head or coordinator fills it in (a draft, or
submitted: then locked); a curator of its region or municipality reads it and may reopen
it. Thin: parse the form, call one engine service or read model, render."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from engine.errors import DomainError, NotFound, StaleVersion, ValidationFailed
from engine.programme import service as prog_svc
from engine.programme.answer_page import AnswerPage, answer_page, answers_due
from engine.programme.questionnaire import QUESTION_IDS, SCORES
from engine.services.common import INT_MAX
from webui.query import int_arg
from webui.web.common import current_actor, locale, login_required, no_nul, tr, uow

bp = Blueprint("readiness", __name__)

TEXT_LIMIT = 500  # the engine's limit of one entry; longer ones it names


def day(value: Any) -> str:
    """A date (or a moment, in the user's time zone) as dd.mm.yyyy."""
    return format_date(value, "dd.MM.yyyy") if value is not None else "—"


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"readiness_due": _due, "fmt_day": day}


def _due() -> list[Any]:
    """The rounds the signed-in head or coordinator has still to answer (the board's reminder)."""
    actor = current_actor()
    if actor is None or not actor.org_ids():
        return []
    with uow() as u:
        return answers_due(u, actor)


# --- the form as the engine's input, and back ----------------------------------------------

def _int_or_raw(raw: str) -> Any:
    try:
        return max(-INT_MAX - 1, min(INT_MAX, int(raw)))
    except ValueError:  # "abc", "3.5": passed on, so the engine names the field
        return raw


def _answer_data(org_id: int, submit: bool) -> dict[str, Any]:
    form = request.form
    scores: dict[str, Any] = {}
    for key in form:
        if key.startswith("score-"):
            raw = no_nul(form.get(key)).strip()
            if raw:
                scores[key.removeprefix("score-")] = _int_or_raw(raw)
    data: dict[str, Any] = {"org_id": org_id, "scores": scores, "submit": submit}
    for qid in QUESTION_IDS:
        values = [no_nul(v).strip() for v in form.getlist(f"q-{qid}")]
        values += [line.strip() for line in no_nul(form.get(f"q-{qid}-text")).splitlines()]
        data[qid] = list(dict.fromkeys(v for v in values if v))  # in order, each once
    version = no_nul(form.get("version")).strip()
    if version:
        data["version"] = _int_or_raw(version)
    return data


def _shown(page: AnswerPage, from_form: bool) -> dict[str, Any]:
    """What the form shows: the saved answer, or what the person sent (after an error)."""
    q = page.questionnaire
    if from_form:
        form = request.form
        scores = {i.id: no_nul(form.get(f"score-{i.id}")).strip() for s in q.sections for i in s.items}
        checked = {x.id: set(form.getlist(f"q-{x.id}")) for x in q.questions}
        text = {x.id: no_nul(form.get(f"q-{x.id}-text")) for x in q.questions}
        return {"scores": scores, "checked": checked, "text": text, "comment": no_nul(form.get("comment")),
                "version": no_nul(form.get("version")).strip()}  # a stale version stays stale
    saved = page.scores()
    checked, text = {}, {}
    for x in q.questions:
        values = page.values(x.id)
        options = set(x.options or ())
        checked[x.id] = {v for v in values if v in options}
        text[x.id] = "\n".join(v for v in values if v not in options)
    return {"scores": {k: str(v) for k, v in saved.items()}, "checked": checked, "text": text, "comment": "",
            "version": page.answer.version if page.answer is not None else ""}


def _errors(page: AnswerPage, exc: DomainError) -> dict[str, Any]:
    """The engine's field errors placed by item and question; the rest as general lines."""
    items = {i.id: i for s in page.questionnaire.sections for i in s.items}
    questions = {x.id: x for x in page.questionnaire.questions}
    by_item: dict[str, str] = {}
    by_question: dict[str, str] = {}
    general: list[str] = []
    if isinstance(exc, ValidationFailed):
        for name, text in exc.field_messages(locale()).items():
            head, _sep, rest = name.partition(".")
            if head == "scores" and rest in items:
                by_item[rest] = text
            elif head in questions:
                by_question[head] = text
            elif head == "scores" and rest:
                general.append(_("Item «%(item)s»: %(message)s", item=rest, message=text))
            elif head == "comment":
                general.append(_("Comment: %(message)s", message=text))
            else:
                general.append(text)
    elif isinstance(exc, StaleVersion):
        general.append(_("Someone else has saved this questionnaire meanwhile. Reload the page and "
                         "enter your changes again."))
    else:
        general.append(exc.message(locale()))
    return {"items": by_item, "questions": by_question, "general": general,
            "summary": [(f"item-{k}", items[k].text, v) for k, v in by_item.items()]
            + [(f"question-{k}", tr(questions[k].text), v) for k, v in by_question.items()]}


# --- the page ---------------------------------------------------------------------------

def _render(round_id: int, org_id: int, exc: DomainError | None = None, status: int = 200) -> Any:
    with uow() as u:
        page = answer_page(u, g.actor, round_id, org_id)  # NotFound outside the person's scope
        errors = _errors(page, exc) if exc is not None else \
            {"items": {}, "questions": {}, "general": [], "summary": []}
        return render_template("readiness_answer.html", p=page, q=page.questionnaire, scores=SCORES,
                               shown=_shown(page, from_form=exc is not None), errors=errors,
                               action_url=url_for("readiness.answer", round_id=round_id, org_id=org_id)), status


@bp.route("/rounds/<int:round_id>/answer", methods=["GET", "POST"])
@login_required
def answer(round_id: int) -> Any:
    org_id = int_arg("org_id", lo=1)
    if org_id is None:
        abort(404)
    if request.method == "GET":
        return _render(round_id, org_id)
    action = request.form.get("action", "")
    try:
        with uow() as u:
            if action in ("draft", "submit"):
                prog_svc.save_answer(u, g.actor, round_id, _answer_data(org_id, action == "submit"))
                message = _("The questionnaire is submitted.") if action == "submit" else _("Draft saved.")
            elif action == "reopen":
                comment = no_nul(request.form.get("comment")).strip() or None
                prog_svc.reopen_answer(u, g.actor, round_id, {"org_id": org_id, "comment": comment})
                message = _("The questionnaire is returned for revision.")
            else:
                abort(400)
    except NotFound:
        raise  # outside the person's scope: 404
    except DomainError as exc:
        status = 422 if exc.code in ("validation_failed", "bad_request") else \
            {"forbidden": 403, "conflict": 409}.get(exc.code, 422)
        return _render(round_id, org_id, exc, status)
    flash(message, "ok")
    return redirect(url_for("readiness.answer", round_id=round_id, org_id=org_id))
