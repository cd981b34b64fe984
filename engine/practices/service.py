"""The portfolio «Бережливая школа» (DOMAIN.md "Practices"): a curator publishes a closed
project that reached its targets as a practice; everyone signed in finds practices by
Russian full-text search; any organisation replicates one into a new, linked project.

Service signatures (stable; engine/demo/ calls them):

    publish(uow, actor, project_id, data)            -> Practice   curator of the region
    update_practice(uow, actor, practice_id, data)   -> Practice   curator of the region
    withdraw_practice(uow, actor, practice_id, data) -> Practice   curator of the region
    replicate(uow, actor, practice_id, data)         -> Project    member/head of data["org_id"]
    search(uow, actor, q=..., category=..., kind=..., municipality_id=..., min_effect=...,
           limit=..., offset=...)                    -> (items, total)
    practice_detail(uow, actor, practice_id)         -> dict (effect, replicas)

Search: PostgreSQL matches ``to_tsvector('russian', title || ' ' || problem || ' ' ||
summary || ' ' || solution)`` (the expression of the GIN index of migration 0003) against
``plainto_tsquery('russian', q)``; SQLite matches the FTS5 table ``practice_fts`` over
``practice.search_stems``, the Snowball stems this module writes, with the query's words
stemmed the same way, so «питанием» finds «питание» on both.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from sqlalchemy import exists, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from engine import clock
from engine.checks import evaluate
from engine.db import OneTransaction, UnitOfWork
from engine.errors import DATA_CHANGED, Conflict, Forbidden, NotFound, NotPublishable, StaleVersion, ValidationFailed
from engine.models import (
    ORG_KINDS,
    Action,
    Artefact,
    Metric,
    Municipality,
    Organization,
    Practice,
    Project,
    pk,
)
from engine.policy import Actor, can, can_in_region, require
from engine.practices.categories import category_ids
from engine.practices.schemas import (
    PRACTICE_TEXT_FIELDS,
    PracticePatch,
    PracticePublish,
    PracticeWithdraw,
    ReplicateIn,
)
from engine.practices.stemming import FTS5, MAX_QUERY_WORDS, PG_DOCUMENT, fts5_query, search_stems_of, stems, words
from engine.reporting.metrics import all_reached, reached
from engine.schemas import parse
from engine.search import MAX_QUERY, too_long
from engine.services.common import cas_update, get_or_404, record
from engine.services.items import add_artefact, add_metric
from engine.services.projects import NO_SUCH_ORG, create_project, get_project, visible_org, workflow_of
from engine.text import Text
from engine.vocab import EventKind

REQUIRED = Text("Обязательное поле", "This field is required")


# --- the measured effect -------------------------------------------------------------------------

def change_pct(baseline: float | None, result: float | None) -> float | None:
    """(result - baseline) / baseline × 100, signed, rounded half up to one decimal;
    None without a baseline (or a zero one) or without a result."""
    if baseline is None or result is None or baseline == 0:
        return None
    b, r = Decimal(repr(float(baseline))), Decimal(repr(float(result)))
    if not (b.is_finite() and r.is_finite()):
        return None
    pct = (r - b) / b * 100
    if abs(pct) >= _ROUNDED_LIMIT:  # one decimal is below the float's precision anyway
        as_float = float(pct)
        return None if as_float in (float("inf"), float("-inf")) else as_float
    return float(pct.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# Quantizing to 0.1 needs every digit in Decimal's 28-digit context: a change of 1e27 %
# (a measurement of 1e25 on a baseline of 0.01) raised decimal.InvalidOperation.
_ROUNDED_LIMIT = Decimal("1e15")


def compute_effect(session: Session, project: Project) -> list[dict[str, Any]]:
    """Each metric of the project: baseline -> result (its latest measurement), change in %."""
    metrics = session.execute(select(Metric).where(col(Metric.project_id) == project.id)
                              .order_by(col(Metric.id))).scalars().all()
    return [{"metric": m.name, "unit": m.unit, "direction": m.direction, "baseline": m.baseline,
             "result": m.latest_value, "change_pct": change_pct(m.baseline, m.latest_value)}
            for m in metrics]


def improvement(row: dict[str, Any]) -> float | None:
    """The change in the metric's good direction (a 40% shorter lead time is +40)."""
    pct = row.get("change_pct")
    if pct is None:
        return None
    return -pct if row.get("direction") == "decrease" else pct


def best_improvement(effect: list[dict[str, Any]]) -> float | None:
    """The effect size of a practice: its best improvement over all metrics."""
    values = [v for v in (improvement(r) for r in effect or []) if v is not None]
    return max(values) if values else None


# --- loading with the portfolio's visibility -------------------------------------------------

def _replica_visible(session: Session, actor: Actor, practice: Practice) -> bool:
    from engine.services.queries import visible_projects_filter
    return bool(session.execute(select(exists(select(col(Project.id)).where(
        col(Project.practice_id) == practice.id, visible_projects_filter(actor))))).scalar())


def may_see(session: Session, actor: Actor, practice: Practice) -> bool:
    """A published practice: everyone signed in. A withdrawn one: those who see its source
    project (organisation, region's curators, admins) or one of its replicas."""
    if practice.status == "published":
        return True
    if practice.org_id is None:  # external: its region's curators (and the admins)
        return bool(actor.region_roles(practice.region_id)) or _replica_visible(session, actor, practice)
    return bool(actor.roles_for(practice.org_id, practice.region_id)) or _replica_visible(session, actor, practice)


def get_practice(uow: UnitOfWork, actor: Actor, practice_id: int) -> Practice:
    """The practice if the actor may see it; NotFound otherwise."""
    practice = get_or_404(uow.session, Practice, practice_id, "practice")
    if not may_see(uow.session, actor, practice):
        raise NotFound("practice")
    return practice


def may_curate(actor: Actor, practice: Practice) -> bool:
    """Publishing, updating and withdrawing: the curators of the practice's region."""
    if practice.org_id is None:  # external: the curators of the region that imported it
        return can_in_region(actor, "practice.publish", practice.region_id)
    return can(actor, "practice.publish", practice.org_id, practice.region_id)


def _curated(uow: UnitOfWork, actor: Actor, practice_id: int) -> Practice:
    practice = get_practice(uow, actor, practice_id)
    if not may_curate(actor, practice):
        raise Forbidden(Text("Изменять практики может куратор региона",
                             "Only the region's curator may change practices"))
    return practice


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, list, dict, type(None))) else str(value)


# --- publish, update, withdraw -------------------------------------------------------------------

def _require_publishable(uow: UnitOfWork, project: Project) -> None:
    wf = workflow_of(uow, project)
    if project.state != wf.done:
        title = wf.state(project.state).title if wf.has_state(project.state) else Text(project.state, project.state)
        raise NotPublishable(Text(f"Опубликовать можно только завершённый проект; проект на этапе «{title.ru}»",
                                  f"Only a closed project can be published; this one is at '{title.en}'"),
                             {"reason": "not_closed", "state": project.state})
    if evaluate(uow.session, project, ["targets_reached"], wf):
        metrics = uow.session.execute(select(Metric).where(col(Metric.project_id) == project.id)).scalars().all()
        missed = [m.name for m in metrics if not reached(m)]
        raise NotPublishable(Text("Проект не достиг целевых значений показателей; опубликовать его как практику нельзя",
                                  "The project did not reach its targets; it cannot be published as a practice"),
                             {"reason": "targets_missed", "metrics": missed})


def _project_standard(session: Session, project: Project) -> str:
    art = session.execute(select(Artefact)
                          .where(col(Artefact.project_id) == project.id, col(Artefact.kind) == "standard")
                          .order_by(col(Artefact.id).desc())).scalars().first()
    if art is None:
        return ""
    return "\n\n".join(x for x in (art.title, art.text or "", art.url or "") if x)


def _project_solution(session: Session, project: Project) -> str:
    done = session.execute(select(col(Action.title))
                           .where(col(Action.project_id) == project.id, col(Action.status) == "done")
                           .order_by(col(Action.id))).scalars().all()
    return "\n".join(f"— {t}" for t in done) or project.goal


def publish(uow: UnitOfWork, actor: Actor, project_id: int, data: dict[str, Any]) -> Practice:
    """Publish a closed project that reached its targets as a practice (curator of the
    project's region). ``data``: category, summary (required); title, problem, solution,
    standard default to the project's. The effect is computed from the project's metrics.
    A withdrawn practice of the same project is published again (version + 1).

    Errors: NotFound (outside scope), Forbidden (not the region's curator),
    ValidationFailed, Conflict (already published), NotPublishable (not closed, or a
    target missed)."""
    s = uow.session
    project = get_project(uow, actor, project_id)
    require(actor, "practice.publish", project.org_id, project.region_id)
    body: PracticePublish = parse(PracticePublish, data)
    existing = s.execute(select(Practice).where(col(Practice.project_id) == project.id)).scalars().first()
    if existing is not None and existing.status == "published":
        raise Conflict(Text("Проект уже опубликован как практика; измените её на странице практики",
                            "The project is already published; edit the practice instead"),
                       {"practice_id": existing.id})
    _require_publishable(uow, project)
    fields: dict[str, Any] = {"title": body.title or project.title, "category": body.category, "summary": body.summary,
                              "problem": project.problem if body.problem is None else body.problem,
                              "solution": _project_solution(s, project) if body.solution is None else body.solution,
                              "standard": _project_standard(s, project) if body.standard is None else body.standard,
                              "process_start": project.process_start, "process_end": project.process_end,
                              "scaling_proposal": project.scaling_proposal if body.scaling_proposal is None
                              else body.scaling_proposal.strip(),
                              "effect": compute_effect(s, project)}
    now = clock.now()
    if existing is None:
        practice = Practice(project_id=pk(project), region_id=project.region_id, org_id=project.org_id,
                            status="published", published_by=actor.user_id, published_at=now,
                            updated_at=now, version=1, **fields)
        practice.search_stems = search_stems_of(fields["title"], fields["problem"], body.summary,
                                                fields["solution"])
        s.add(practice)
        try:
            s.flush()
        except IntegrityError:  # published by someone else meanwhile
            raise Conflict(Text("Проект уже опубликован как практика", "The project is already published")) from None
        payload: dict[str, Any] = {"practice_id": practice.id, "category": practice.category,
                                   "title": practice.title, "effect": practice.effect}
    else:
        practice = existing
        before = {k: _plain(getattr(practice, k)) for k in (*fields, "status")}
        cas_update(s, Practice, practice, practice.version, **fields, status="published", published_by=actor.user_id,
             published_at=now, updated_at=now,
             search_stems=search_stems_of(fields["title"], fields["problem"], body.summary, fields["solution"]))
        payload = {"practice_id": practice.id, "category": practice.category, "title": practice.title,
                   "effect": practice.effect, "republished": True, "before": before}
    record(s, actor, EventKind.PRACTICE_PUBLISHED, project, payload)
    uow.commit()
    return practice


def publish_preview(uow: UnitOfWork, actor: Actor, project_id: int) -> dict[str, Any]:
    """What the publish form starts from (curator of the project's region): the texts
    ``publish`` would default to, the effect it would compute, why it would refuse (a
    Text, or None) and the project's practice if there is one. Writes nothing."""
    s = uow.session
    project = get_project(uow, actor, project_id)
    require(actor, "practice.publish", project.org_id, project.region_id)
    existing = s.execute(select(Practice).where(col(Practice.project_id) == project.id)).scalars().first()
    try:
        _require_publishable(uow, project)
        refusal = None
    except NotPublishable as exc:
        refusal = exc.text
    return {"project": project, "title": project.title, "problem": project.problem,
            "solution": _project_solution(s, project), "standard": _project_standard(s, project),
            "scaling_proposal": project.scaling_proposal, "effect": compute_effect(s, project),
            "refusal": refusal, "practice": existing}


def update_practice(uow: UnitOfWork, actor: Actor, practice_id: int, data: dict[str, Any]) -> Practice:
    """Change a practice's texts or category (curator of its region); the effect is
    computed again from the project's metrics. The event keeps every old value.
    ``version`` in ``data`` (optional) refuses a stale edit with StaleVersion."""
    s = uow.session
    practice = _curated(uow, actor, practice_id)
    if practice.external:
        raise Conflict(Text("Внешняя практика меняется только повторной загрузкой файла из её источника",
                            "An external practice changes only by importing its source's file again"))
    body: PracticePatch = parse(PracticePatch, data)
    for name in ("category", "summary", "title"):
        if name in body.model_fields_set and getattr(body, name) is None:
            raise ValidationFailed({name: REQUIRED})
    expected = practice.version if body.version is None else body.version
    if expected != practice.version:
        raise StaleVersion(practice.version, DATA_CHANGED)
    changes = {k: getattr(body, k) if getattr(body, k) is not None else "" for k in PRACTICE_TEXT_FIELDS
               if k in body.model_fields_set}
    project = cast(Project, s.get(Project, practice.project_id))  # the practice's (a foreign key)
    changes["effect"] = compute_effect(s, project)
    diff = {k: {"from": _plain(getattr(practice, k)), "to": _plain(v)} for k, v in changes.items()
            if getattr(practice, k) != v}
    texts = [changes.get(f, getattr(practice, f)) for f in ("title", "problem", "summary", "solution")]
    cas_update(s, Practice, practice, expected, **changes, updated_at=clock.now(), search_stems=search_stems_of(*texts))
    record(s, actor, EventKind.PRACTICE_UPDATED, project, {"practice_id": practice.id, "fields": diff,
                                                   "version": practice.version})
    uow.commit()
    return practice


def withdraw_practice(uow: UnitOfWork, actor: Actor, practice_id: int,
                      data: dict[str, Any] | None = None) -> Practice:
    """Take a practice out of the catalogue (curator of its region). It is kept: its page
    stays reachable for those who see its project or a replica, and replicas keep their
    link. ``data``: optional ``reason``."""
    s = uow.session
    practice = _curated(uow, actor, practice_id)
    body: PracticeWithdraw = parse(PracticeWithdraw, data or {})
    if practice.status == "withdrawn":
        raise Conflict(Text("Практика уже снята с публикации", "The practice is already withdrawn"))
    cas_update(s, Practice, practice, practice.version, status="withdrawn", updated_at=clock.now())
    record(s, actor, EventKind.PRACTICE_WITHDRAWN,
           s.get(Project, practice.project_id) if practice.project_id is not None else None,
           {"practice_id": practice.id, "reason": body.reason, "from_status": "published",
            "version": practice.version})
    uow.commit()
    return practice


# --- replicate ----------------------------------------------------------------------------------

def replicate(uow: UnitOfWork, actor: Actor, practice_id: int, data: dict[str, Any]) -> Project:
    """Start a new project in ``data["org_id"]`` (where the actor is a member or head) from
    a practice: its title, process boundaries, problem and goal; the metrics of the original
    without baselines (name, unit, direction, target); the standard attached as a reference
    (artefact of kind ``other``); linked by ``project.practice_id``. One transaction; every
    step writes its event, and ``replicated`` closes it.

    Errors: NotFound (no such practice), Forbidden (in scope without member/head),
    ValidationFailed (also an organisation unknown or outside scope), Conflict (the
    practice is withdrawn)."""
    s = uow.session
    practice = get_practice(uow, actor, practice_id)
    # unknown and out-of-scope organisations answer alike (422 on org_id)
    org = visible_org(uow, actor, data.get("org_id") if isinstance(data, dict) else None)
    if org is not None:
        require(actor, "project.create", pk(org), org.region_id, "organization")
    body: ReplicateIn = parse(ReplicateIn, data)
    if org is None:
        raise ValidationFailed({"org_id": NO_SUCH_ORG})
    if practice.status != "published":
        raise Conflict(Text("Практика снята с публикации; тиражировать её нельзя",
                            "The practice is withdrawn; it cannot be replicated"))
    earlier = s.execute(select(col(Project.id), col(Project.title)).where(
        col(Project.org_id) == org.id, col(Project.practice_id) == practice.id).order_by(col(Project.id))).first()
    if earlier is not None and not body.confirm:
        raise Conflict(Text(f"Организация уже тиражировала эту практику (проект «{earlier.title}»); "
                            "подтвердите, если нужен ещё один проект",
                            f"The organisation has replicated this practice already (“{earlier.title}”); "
                            "confirm to start another project"),
                       {"reason": "already_replicated", "project_id": earlier.id})
    source = s.get(Project, practice.project_id) if practice.project_id is not None else None
    one = OneTransaction(uow)
    project = create_project(one, actor, {
        "org_id": org.id, "title": practice.title,
        "leader_id": body.leader_id if body.leader_id is not None else actor.user_id,
        "problem": practice.problem or practice.summary or practice.title,
        "goal": (source.goal if source else "") or practice.summary or practice.title,
        "process_start": practice.process_start, "process_end": practice.process_end})
    for metric in _original_metrics(s, practice):
        add_metric(one, actor, pk(project), metric)
    if practice.standard.strip():
        add_artefact(one, actor, pk(project), {
            "kind": "other", "title": f"Образец: стандарт практики «{practice.title}»"[:300],
            "text": practice.standard[:100_000]})
    project.practice_id = practice.id
    record(s, actor, EventKind.REPLICATED, project, {"practice_id": practice.id,
                                                     "source_project_id": practice.project_id,
                                                     "practice_version": practice.version})
    uow.commit()
    return project


def _original_metrics(s: Session, practice: Practice) -> list[dict[str, Any]]:
    """The metrics a replica starts with: the source project's (without baselines); for an
    external practice (no project here), those of its effect, with the original's result as
    the target."""
    if practice.project_id is None:
        return [{"name": str(e.get("metric"))[:200], "unit": str(e.get("unit") or "")[:50],
                 "direction": e.get("direction") or "decrease", "target": e.get("result")}
                for e in practice.effect or [] if e.get("metric")]
    return [{"name": m.name, "unit": m.unit, "direction": m.direction, "target": m.target}
            for m in s.execute(select(Metric).where(col(Metric.project_id) == practice.project_id)
                               .order_by(col(Metric.id))).scalars()]


# --- reading: catalogue, detail, counts ------------------------------------------------------

def practice_dict(practice: Practice, org: Organization | None = None,
                  municipality: Municipality | None = None, replica_count: int = 0) -> dict[str, Any]:
    """A practice as the API shows it (API.md), without the replicas."""
    return {
        "id": practice.id, "project_id": practice.project_id, "region_id": practice.region_id,
        "org_id": practice.org_id, "org_name": org.name if org else (practice.source_org or None),
        "org_kind": org.kind if org else (practice.source_org_kind or None),
        "municipality_id": org.municipality_id if org else None,
        "municipality_name": municipality.name if municipality else (practice.source_municipality or None),
        "title": practice.title, "category": practice.category, "problem": practice.problem,
        "summary": practice.summary, "solution": practice.solution, "standard": practice.standard,
        "process_start": practice.process_start, "process_end": practice.process_end,
        "scaling_proposal": practice.scaling_proposal,
        "effect": practice.effect, "effect_size": best_improvement(practice.effect),
        "status": practice.status, "published_by": practice.published_by,
        "published_at": clock.iso(practice.published_at), "updated_at": clock.iso(practice.updated_at),
        "version": practice.version, "replica_count": replica_count,
        "external": practice.external,
        "source": ({"key": practice.source_key, "region": practice.source_region,
                    "region_code": practice.source_region_code, "org_name": practice.source_org,
                    "org_kind": practice.source_org_kind, "municipality_name": practice.source_municipality,
                    "url": practice.source_url or None} if practice.external else None),
    }


def _replica_counts(session: Session, practice_ids: list[int]) -> dict[int, int]:
    if not practice_ids:
        return {}
    rows = session.execute(select(col(Project.practice_id), func.count(col(Project.id)))
                           .where(col(Project.practice_id).in_(practice_ids))
                           .group_by(col(Project.practice_id))).all()
    return {pid: n for pid, n in rows}


def search(uow: UnitOfWork, actor: Actor, q: str | None = None, category: str | None = None,
           kind: str | None = None, municipality_id: int | None = None, min_effect: float | None = None,
           limit: int = 20, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The catalogue: published practices (of every region; any signed-in user), newest
    first or, with ``q``, best match first. ``q`` matches title, problem, summary and
    solution with Russian morphology; ``min_effect`` keeps practices whose best metric
    improved by at least that many percent. Returns (page, total)."""
    s = uow.session
    bad: dict[str, Text] = {}
    if category is not None and category not in category_ids():
        bad["category"] = Text("Нет такой категории; допустимо: " + ", ".join(category_ids()),
                               "No such category; allowed: " + ", ".join(category_ids()))
    if kind is not None and kind not in ORG_KINDS:
        bad["kind"] = Text("Допустимо: " + ", ".join(ORG_KINDS), "Allowed: " + ", ".join(ORG_KINDS))
    if q is not None and len(q) > MAX_QUERY:
        bad.update(too_long().fields)
    if bad:
        raise ValidationFailed(bad)
    # an external practice has no organisation here (outer joins; its kind is the source's)
    stmt = (select(Practice, Organization, Municipality)
            .outerjoin(Organization, col(Organization.id) == col(Practice.org_id))
            .outerjoin(Municipality, col(Municipality.id) == col(Organization.municipality_id))
            .where(col(Practice.status) == "published"))
    if category is not None:
        stmt = stmt.where(col(Practice.category) == category)
    if kind is not None:
        stmt = stmt.where(func.coalesce(col(Organization.kind), col(Practice.source_org_kind)) == kind)
    if municipality_id is not None:
        stmt = stmt.where(col(Organization.municipality_id) == municipality_id)
    terms = words(q or "")[:MAX_QUERY_WORDS]
    order: list[Any] = []
    if terms:
        if uow.store.dialect == "postgresql":  # PostgreSQL stems the words itself
            query = func.plainto_tsquery(literal_column("'russian'"), " ".join(terms))
            stmt = stmt.where(PG_DOCUMENT.op("@@", is_comparison=True)(query))
            order.append(func.ts_rank(PG_DOCUMENT, query).desc())
        else:
            stmt = (stmt.join(FTS5, FTS5.c.rowid == Practice.id)
                    .where(literal_column("practice_fts").op("MATCH", is_comparison=True)(
                        fts5_query(stems(" ".join(terms))))))
            order.append(FTS5.c.rank)
    stmt = stmt.order_by(*order, col(Practice.published_at).desc(), col(Practice.id).desc())
    if min_effect is None:
        ids = stmt.with_only_columns(col(Practice.id)).order_by(None).subquery()
        total = s.execute(select(func.count()).select_from(ids)).scalar_one()
        rows = s.execute(stmt.limit(limit).offset(offset)).all()
    else:
        matching = [r for r in s.execute(stmt).all()
                    if (best_improvement(r[0].effect) or float("-inf")) >= min_effect]
        total, rows = len(matching), matching[offset:offset + limit]
    counts = _replica_counts(s, [r[0].id for r in rows])
    return [practice_dict(p, o, m, counts.get(p.id, 0)) for p, o, m in rows], total


def practice_detail(uow: UnitOfWork, actor: Actor, practice_id: int) -> dict[str, Any]:
    """A practice with its effect and every replica: project, organisation, stage and
    the replica's own measured effect (computed now), to compare with the original."""
    s = uow.session
    practice = get_practice(uow, actor, practice_id)
    org = s.get(Organization, practice.org_id) if practice.org_id is not None else None
    mun = s.get(Municipality, org.municipality_id) if org else None
    rows = s.execute(select(Project, Organization).join(Organization, col(Organization.id) == col(Project.org_id))
                     .where(col(Project.practice_id) == practice.id).order_by(col(Project.id))).all()
    body = practice_dict(practice, org, mun, len(rows))
    body["replicas"] = [{"project_id": p.id, "org_id": p.org_id, "org_name": o.name, "org_kind": o.kind,
                         "region_id": p.region_id, "state": p.state, "effect": compute_effect(s, p)}
                        for p, o in rows]
    return body


def replications_per_practice(session: Session, region_id: int) -> dict[int, int]:
    """For the control tower: practice id -> number of projects started from it, for every
    practice published in the region (withdrawn ones too; 0 when none)."""
    rows = session.execute(select(col(Practice.id), func.count(col(Project.id)))
                           .outerjoin(Project, col(Project.practice_id) == col(Practice.id))
                           .where(col(Practice.region_id) == region_id)
                           .group_by(col(Practice.id)).order_by(col(Practice.id))).all()
    return {pid: n for pid, n in rows}


def publishable_projects(uow: UnitOfWork, actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
    """Closed projects in the curator's regions that are not (or no longer) published,
    each with whether its targets were reached (for the publish links of the catalogue)."""
    regions = {r for r in actor.curator_region_ids() if can_in_region(actor, "practice.publish", r)}
    if not regions:
        return []
    s = uow.session
    published = select(col(Practice.project_id)).where(col(Practice.status) == "published")
    rows = s.execute(select(Project, col(Organization.name))
                     .join(Organization, col(Organization.id) == col(Project.org_id))
                     .where(col(Project.region_id).in_(regions), col(Project.state).in_(uow.workflows.done_states()),
                            col(Project.id).not_in(published))
                     .order_by(col(Project.state_entered_at).desc(), col(Project.id).desc()).limit(limit)).all()
    return [{"project_id": p.id, "title": p.title, "reg_number": p.reg_number, "org_name": name,
             "targets_reached": all_reached(s, p.id)} for p, name in rows]

