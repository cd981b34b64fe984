"""Administration pages: users and role grants, password resets, organisations."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.errors import DomainError
from engine.models import ORG_KINDS, Municipality, Organization, Region, RoleGrant, User
from engine.services import admin as admin_svc
from engine.services.accounts import reset_password, session_epoch
from webui.web.common import admin_required, error_messages, form_data, uow

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _lists(u: Any) -> dict[str, Any]:
    s = u.session
    orgs = s.execute(select(Organization)).scalars().all()
    regions = s.execute(select(Region)).scalars().all()
    return {
        "org_names": {o.id: o.name for o in orgs}, "region_names": {r.id: r.name for r in regions},
        "users": s.execute(select(User).order_by(User.name)).scalars().all(),
        "grants": s.execute(select(RoleGrant)).scalars().all(),
        "orgs": s.execute(select(Organization).order_by(Organization.name)).scalars().all(),
        "regions": s.execute(select(Region).order_by(Region.name)).scalars().all(),
        "municipalities": s.execute(select(Municipality).order_by(Municipality.name)).scalars().all(),
    }


def _page(errors: dict[str, dict[str, str]] | None = None, status: int = 200) -> Any:
    with uow() as u:
        data = _lists(u)
    from webui.web.labels import ORG_KIND
    return render_template(
        "admin.html", errors=errors or {}, values=request.form, kinds=ORG_KINDS, **data,
        org_options=lambda rows: [(o.id, o.name) for o in rows],
        region_options=lambda rows: [(r.id, r.name) for r in rows],
        user_options=lambda rows: [(x.id, f"{x.name} <{x.email}>") for x in rows],
        kind_options=lambda kinds: [(k, ORG_KIND[k]) for k in kinds]), status


@bp.get("/")
@admin_required
def index() -> Any:
    return _page()


def _attempt(form: str, fn: Any, *args: Any, ok: str, target: int | None = None) -> Any:
    """Run a service for the form; ``target`` is the user whose sessions it may end: when
    that is the admin themselves, this browser is signed in again (copies of the old cookie
    stay ended)."""
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
        return _page({form: fields or {"_": general}}, 422 if exc.code != "forbidden" else 403)
    flash(ok, "ok")
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
