"""Administration pages: users (searchable, paged, each with its own page to edit),
role grants, password resets, organisations and municipalities (listed and edited), and
the audit log viewer. Each page reads one read model of engine/services/admin_views.py."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.errors import DomainError
from engine.models import ORG_KINDS, Municipality, Organization, Region, User
from engine.policy import ROLES
from engine.services import admin as admin_svc
from engine.services import admin_views as views
from engine.services.accounts import reset_password, session_epoch
from engine.vocab import MUNICIPALITY_KINDS, EventKind
from webui.query import int_arg, search_arg
from webui.web.common import admin_required, error_messages, form_data, uow

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user_filters() -> views.UserFilters:
    active = request.args.get("active")
    return views.UserFilters(q=search_arg(), role=request.args.get("role") or None, org_id=int_arg("org_id"),
                             region_id=int_arg("region_id"),
                             active={"1": True, "0": False}.get(active or ""))


def _lists(u: Any) -> dict[str, Any]:
    s = u.session
    page = views.users(u, g.actor, _user_filters(), int_arg("page", 1, lo=1))
    return {
        "page": page, "rows": page.items,
        "args": {k: v for k, v in request.args.items() if k != "page" and v},
        "all_users": s.execute(select(User).order_by(User.name)).scalars().all(),
        "orgs": s.execute(select(Organization).order_by(Organization.name)).scalars().all(),
        "regions": s.execute(select(Region).order_by(Region.name)).scalars().all(),
        "municipalities": s.execute(select(Municipality).order_by(Municipality.name)).scalars().all(),
    }


def _options() -> dict[str, Any]:
    from webui.web.labels import MUNICIPALITY_KIND, ORG_KIND, ROLE
    return {"kinds": ORG_KINDS, "roles": ROLES, "mun_kinds": MUNICIPALITY_KINDS,
            "org_options": lambda rows: [(o.id, o.name) for o in rows],
            "region_options": lambda rows: [(r.id, r.name) for r in rows],
            "user_options": lambda rows: [(x.id, f"{x.name} <{x.email}>") for x in rows],
            "kind_options": lambda kinds: [(k, ORG_KIND[k]) for k in kinds],
            "mun_kind_options": lambda: [(k, MUNICIPALITY_KIND[k]) for k in MUNICIPALITY_KINDS],
            "role_filter_options": lambda: [(r, ROLE[r]) for r in ROLES]}


def _page(errors: dict[str, dict[str, str]] | None = None, status: int = 200) -> Any:
    with uow() as u:
        data = _lists(u)
    return render_template("admin.html", errors=errors or {}, values=request.form, **data, **_options()), status


@bp.get("/")
@admin_required
def index() -> Any:
    return _page()


def _attempt(form: str, fn: Any, *args: Any, ok: str, target: int | None = None,
             back: Any = None) -> Any:
    """Run a service for the form; ``target`` is the user whose sessions it may end: when
    that is the admin themselves, this browser is signed in again (copies of the old cookie
    stay ended). ``back(errors, status)`` renders the page the form is on (the users'
    page unless given); success returns to it at the form."""
    try:
        with uow() as u:
            fn(u, g.actor, *args)
            if target is not None and target == g.actor.user_id:
                from webui.web.auth import start_session
                start_session(target, session_epoch(u, target), session.get("locale"))
    except DomainError as exc:
        if exc.code == "not_found":
            raise  # no such user: the 404 page
        general, fields = error_messages(exc)
        status = 422 if exc.code != "forbidden" else 403
        return (back or _page)({form: fields or {"_": general}}, status)
    flash(ok, "ok")
    back_to = request.form.get("next", "")
    if back_to.startswith("/admin/") and "//" not in back_to and "\\" not in back_to:
        return redirect(back_to + "#" + form)  # the page the form is on (only ours)
    return redirect(url_for("admin.index") + "#" + form)


@bp.post("/users")
@admin_required
def create_user() -> Any:
    data = form_data("email", "name", "password", "role", "org_id", "region_id", "municipality_id",
                     ints=("org_id", "region_id", "municipality_id"),
                     optional=("org_id", "region_id", "municipality_id"))
    return _attempt("user", admin_svc.create_user, data, ok=_("User created."))


@bp.post("/grants")
@admin_required
def grant() -> Any:
    data = form_data("user_id", "role", "org_id", "region_id", "municipality_id",
                     ints=("user_id", "org_id", "region_id", "municipality_id"),
                     optional=("org_id", "region_id", "municipality_id"))
    return _attempt("grant", lambda u, a, d: admin_svc.grant_role(
        u, a, d.get("user_id") or 0, d.get("role", ""), d.get("org_id"), d.get("region_id"),
        d.get("municipality_id")), data,
        ok=_("Role granted."))


@bp.post("/users/<int:user_id>/password")
@admin_required
def reset(user_id: int) -> Any:
    return _attempt(f"reset-{user_id}", reset_password, user_id, request.form.get("password", ""),
                    ok=_("Password reset."), target=user_id)


@bp.post("/users/<int:user_id>/deactivate")
@admin_required
def deactivate(user_id: int) -> Any:
    return _attempt(f"user-{user_id}", admin_svc.deactivate_user, user_id, ok=_("User deactivated."))


@bp.post("/users/<int:user_id>/activate")
@admin_required
def activate(user_id: int) -> Any:
    return _attempt(f"user-{user_id}", admin_svc.activate_user, user_id, ok=_("User activated."))


@bp.post("/users/<int:user_id>/roles/revoke")
@admin_required
def revoke(user_id: int) -> Any:
    data = form_data("role", "org_id", "region_id", ints=("org_id", "region_id"), optional=("org_id", "region_id"))
    return _attempt(f"user-{user_id}", admin_svc.revoke_role, user_id, data, ok=_("Role removed."),
                    target=user_id)


@bp.post("/organizations")
@admin_required
def create_org() -> Any:
    data = form_data("municipality_id", "name", "kind", ints=("municipality_id",))
    return _attempt("org", admin_svc.create_organization, data, ok=_("Organisation created."))


# --- one user -----------------------------------------------------------------------------------------

def _user_page(user_id: int, errors: dict[str, dict[str, str]] | None = None, status: int = 200) -> Any:
    with uow() as u:
        row = views.user_detail(u, g.actor, user_id)
        recent = views.audit_log(u, g.actor, views.AuditFilters(actor=row.user.email)).items[:20]
        data = {"orgs": u.session.execute(select(Organization).order_by(Organization.name)).scalars().all(),
                "regions": u.session.execute(select(Region).order_by(Region.name)).scalars().all()}
    return render_template("admin_user.html", row=row, u=row.user, recent=recent, errors=errors or {},
                           values=request.form, **data, **_options()), status


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int) -> Any:
    return _user_page(user_id)


@bp.post("/users/<int:user_id>")
@admin_required
def edit_user(user_id: int) -> Any:
    data = form_data("name")
    return _attempt("edit", admin_svc.update_user, user_id, data, ok=_("Saved."),
                    back=lambda errors, status: _user_page(user_id, errors, status))


# --- organisations -------------------------------------------------------------------------------------

def _org_filters() -> views.OrgFilters:
    kind = request.args.get("kind")
    return views.OrgFilters(q=search_arg(), kind=kind if kind in ORG_KINDS else None,
                            municipality_id=int_arg("municipality_id"), region_id=int_arg("region_id"))


@bp.get("/organizations")
@admin_required
def organizations() -> Any:
    with uow() as u:
        page = views.organizations(u, g.actor, _org_filters(), int_arg("page", 1, lo=1))
        regions = u.session.execute(select(Region).order_by(Region.name)).scalars().all()
    return render_template("admin_orgs.html", page=page, regions=regions, errors={},
                           args={k: v for k, v in request.args.items() if k != "page" and v}, **_options())


def _org_page(org_id: int, errors: dict[str, dict[str, str]] | None = None, status: int = 200) -> Any:
    with uow() as u:
        org = u.session.get(Organization, org_id)
        if org is None:
            from flask import abort
            abort(404)
        muns = u.session.execute(select(Municipality).where(Municipality.region_id == org.region_id)
                                 .order_by(Municipality.name)).scalars().all()
        people = views.users(u, g.actor, views.UserFilters(org_id=org_id)).items
    return render_template("admin_org.html", org=org, municipalities=muns, people=people,
                           errors=errors or {}, values=request.form, **_options()), status


@bp.get("/organizations/<int:org_id>")
@admin_required
def organization(org_id: int) -> Any:
    return _org_page(org_id)


@bp.post("/organizations/<int:org_id>")
@admin_required
def edit_org(org_id: int) -> Any:
    data = form_data("name", "kind", "municipality_id", "inn", ints=("municipality_id",),
                     optional=("inn",))
    if data.get("inn") is None:
        data.pop("inn", None)
    return _attempt("org-edit", admin_svc.update_organization, org_id, data, ok=_("Saved."),
                    back=lambda errors, status: _org_page(org_id, errors, status))


# --- municipalities ------------------------------------------------------------------------------------

def _muns_page(errors: dict[str, dict[str, str]] | None = None, status: int = 200) -> Any:
    with uow() as u:
        rows = views.municipalities(u, g.actor, int_arg("region_id"))
        regions = u.session.execute(select(Region).order_by(Region.name)).scalars().all()
    return render_template("admin_muns.html", rows=rows, regions=regions, errors=errors or {},
                           values=request.form, **_options()), status


@bp.get("/municipalities")
@admin_required
def municipalities() -> Any:
    return _muns_page()


@bp.post("/municipalities")
@admin_required
def create_municipality() -> Any:
    data = form_data("region_id", "name", "kind", ints=("region_id",))
    return _attempt("mun", admin_svc.create_municipality, data, ok=_("Municipality created."), back=_muns_page)


@bp.post("/municipalities/<int:municipality_id>")
@admin_required
def edit_municipality(municipality_id: int) -> Any:
    data = form_data("name", "kind")
    return _attempt(f"mun-{municipality_id}", admin_svc.update_municipality, municipality_id, data,
                    ok=_("Saved."), back=_muns_page)


# --- the audit log -------------------------------------------------------------------------------------

def _date_arg(name: str) -> Any:
    from datetime import date
    raw = (request.args.get(name) or "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@bp.get("/audit")
@admin_required
def audit() -> Any:
    kind = request.args.get("kind") or None
    filters = views.AuditFilters(kind=kind if kind in set(EventKind) else None, actor=search_arg("actor"),
                                 project_id=int_arg("project_id"), since=_date_arg("since"),
                                 until=_date_arg("until"))
    with uow() as u:
        page = views.audit_log(u, g.actor, filters, int_arg("page", 1, lo=1))
    from webui.web.labels import audit_label
    return render_template("admin_audit.html", page=page, filters=filters, kinds=list(EventKind),
                           audit_label=audit_label,
                           args={k: v for k, v in request.args.items() if k != "page" and v})
