"""Use cases of administration: regions, municipalities, organisations, users,
role grants and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.errors import NotFound, ValidationFailed
from engine.models import ApiToken, Municipality, Organization, RegCounter, Region, RoleGrant, User, pk
from engine.passwords import hash_password, needs_rehash, password_problem, verify_password
from engine.policy import GLOBAL_ROLES, ORG_ROLES, REGION_ROLES, ROLES, SYSTEM, Actor, require_admin
from engine.schemas import (
    MunicipalityIn,
    MunicipalityPatch,
    OrganizationIn,
    OrganizationPatch,
    RegionIn,
    RoleRevoke,
    UserIn,
    UserPatch,
    parse,
)
from engine.services.common import get_or_404, load_actor, record
from engine.text import Text
from engine.vocab import EventKind

# --- passwords (engine.passwords) and tokens ----------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- regions, municipalities, organisations ---------------------------------------------

def create_region(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> Region:
    require_admin(actor)
    body: RegionIn = parse(RegionIn, data)
    exists = uow.session.execute(select(Region).where(col(Region.name) == body.name)).scalars().first()
    if exists:
        raise ValidationFailed({"name": Text("Регион с таким названием уже есть",
                                             "A region with this name exists")})
    region = Region(name=body.name, code=body.code)
    uow.session.add(region)
    uow.session.flush()
    uow.session.add(RegCounter(region_id=pk(region), last_number=0))  # its project numbers
    record(uow.session, actor, EventKind.REGION_CREATED, None, {"region_id": region.id, "name": region.name})
    uow.commit()
    return region


def create_municipality(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> Municipality:
    require_admin(actor)
    body: MunicipalityIn = parse(MunicipalityIn, data)
    if uow.session.get(Region, body.region_id) is None:
        raise ValidationFailed({"region_id": Text("Нет такого региона", "No such region")})
    mun = Municipality(region_id=body.region_id, name=body.name, kind=body.kind)
    uow.session.add(mun)
    uow.session.flush()
    record(uow.session, actor, EventKind.MUNICIPALITY_CREATED, None,
           {"municipality_id": mun.id, "name": mun.name})
    uow.commit()
    return mun


def create_organization(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> Organization:
    require_admin(actor)
    body: OrganizationIn = parse(OrganizationIn, data)
    mun = uow.session.get(Municipality, body.municipality_id)
    if mun is None:
        raise ValidationFailed({"municipality_id": Text("Нет такого муниципалитета",
                                                        "No such municipality")})
    _check_inn_free(uow, body.inn, None)
    org = Organization(municipality_id=pk(mun), region_id=mun.region_id, name=body.name,
                       kind=body.kind, inn=body.inn)
    uow.session.add(org)
    try:
        uow.session.flush()
    except IntegrityError:  # the same ИНН, written by someone else since the check
        raise ValidationFailed({"inn": Text(f"ИНН {body.inn} уже у другой организации",
                                            f"INN {body.inn} belongs to another organisation")}) from None
    record(uow.session, actor, EventKind.ORGANIZATION_CREATED, None,
           {"org_id": org.id, "name": org.name, "kind": org.kind, "inn": org.inn})
    uow.commit()
    return org


def _check_inn_free(uow: UnitOfWork, inn: str | None, org_id: int | None) -> None:
    if inn is None:
        return
    other = uow.session.execute(select(Organization).where(col(Organization.inn) == inn)).scalars().first()
    if other is not None and other.id != org_id:
        raise ValidationFailed({"inn": Text(f"ИНН {inn} уже у организации «{other.name}»",
                                            f"INN {inn} belongs to «{other.name}» already")})


def update_organization(uow: UnitOfWork, actor: Actor, org_id: int, data: dict[str, Any]) -> Organization:
    """Change an organisation's name, kind, municipality (within its region) or ИНН.
    The ``organization_updated`` event lists each changed field as ``[old, new]``."""
    require_admin(actor)
    org = uow.session.get(Organization, org_id)
    if org is None:
        raise NotFound("organization")
    body: OrganizationPatch = parse(OrganizationPatch, data)
    given = {k: getattr(body, k) for k in body.model_fields_set if getattr(body, k) is not None}
    if "municipality_id" in given:
        mun = uow.session.get(Municipality, given["municipality_id"])
        if mun is None or mun.region_id != org.region_id:
            raise ValidationFailed({"municipality_id": Text("Нет такого муниципалитета в регионе организации",
                                                            "No such municipality in the organisation's region")})
    if "inn" in given:
        _check_inn_free(uow, given["inn"], org.id)
    changes = {k: [getattr(org, k), v] for k, v in given.items() if getattr(org, k) != v}
    if changes:
        for key, (_old, new) in changes.items():
            setattr(org, key, new)
        uow.session.flush()
        record(uow.session, actor, EventKind.ORGANIZATION_UPDATED, None, {"org_id": org.id, "changes": changes})
    uow.commit()
    return org


# --- users, grants, tokens ----------------------------------------------------------------

def _check_grant_scope(uow: UnitOfWork, role: str, org_id: int | None, region_id: int | None,
                       municipality_id: int | None = None) -> int | None:
    """Refuse a grant whose scope does not fit its role; returns the region a municipal
    curator's grant carries (that of the municipality), else ``region_id``."""
    if municipality_id is not None:
        if role not in REGION_ROLES:
            raise ValidationFailed({"municipality_id": Text("Муниципалитет указывается только для куратора",
                                                            "Only a curator takes a municipality")})
        mun = uow.session.get(Municipality, municipality_id)
        if mun is None:
            raise ValidationFailed({"municipality_id": Text("Нет такого муниципалитета", "No such municipality")})
        if region_id is not None and region_id != mun.region_id:
            raise ValidationFailed({"region_id": Text("Муниципалитет из другого региона",
                                                      "The municipality is in another region")})
        if org_id is not None:
            raise ValidationFailed({"org_id": Text("Для куратора организация не указывается",
                                                   "A curator takes no organisation")})
        return mun.region_id
    if role in ORG_ROLES:
        if org_id is None:
            raise ValidationFailed({"org_id": Text("Для роли участника или руководителя нужна организация (--org)",
                                                   "A member or head needs an organisation (--org)")})
        if uow.session.get(Organization, org_id) is None:
            raise ValidationFailed({"org_id": Text("Нет такой организации", "No such organisation")})
        if region_id is not None:
            raise ValidationFailed({"region_id": Text("Для этой роли регион не указывается",
                                                      "This role takes no region")})
    elif role in REGION_ROLES:
        if region_id is None:
            raise ValidationFailed({"region_id": Text("Для куратора нужен регион (--region)",
                                                      "A curator needs a region (--region)")})
        if uow.session.get(Region, region_id) is None:
            raise ValidationFailed({"region_id": Text("Нет такого региона", "No such region")})
        if org_id is not None:
            raise ValidationFailed({"org_id": Text("Для куратора организация не указывается",
                                                   "A curator takes no organisation")})
    elif org_id is not None or region_id is not None:
        raise ValidationFailed({"role": Text("Администратору не указываются организация и регион",
                                             "An admin takes neither organisation nor region")})
    return region_id


def create_user(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> User:
    """Create a user with one role grant. The CLI calls it as the system."""
    require_admin(actor)
    body: UserIn = parse(UserIn, data)
    if uow.session.execute(select(User).where(col(User.email) == body.email)).scalars().first():
        raise ValidationFailed({"email": Text("Пользователь с таким адресом уже есть",
                                              "A user with this e-mail exists")})
    problem = password_problem(body.password, body.email)
    if problem is not None:
        raise ValidationFailed({"password": problem})
    region_id = _check_grant_scope(uow, body.role, body.org_id, body.region_id, body.municipality_id)
    user = User(email=body.email, name=body.name, password_hash=hash_password(body.password),
                created_at=clock.now())
    uow.session.add(user)
    try:
        uow.session.flush()
    except IntegrityError:
        raise ValidationFailed({"email": Text("Пользователь с таким адресом уже есть",
                                              "A user with this e-mail exists")}) from None
    uow.session.add(RoleGrant(user_id=pk(user), role=body.role, org_id=body.org_id,
                              region_id=region_id, municipality_id=body.municipality_id))
    record(uow.session, actor, EventKind.USER_CREATED, None,
           {"user_id": user.id, "email": user.email, "role": body.role,
            "org_id": body.org_id, "region_id": region_id, "municipality_id": body.municipality_id})
    uow.commit()
    return user


def update_user(uow: UnitOfWork, actor: Actor, user_id: int, data: dict[str, Any]) -> User:
    """Change a user's full name; the ``user_updated`` event lists the change as ``[old, new]``."""
    require_admin(actor)
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    body: UserPatch = parse(UserPatch, data)
    if body.name is not None and body.name != user.name:
        changes = {"name": [user.name, body.name]}
        user.name = body.name
        uow.session.flush()
        record(uow.session, actor, EventKind.USER_UPDATED, None, {"user_id": user.id, "changes": changes})
    uow.commit()
    return user


def grant_role(uow: UnitOfWork, actor: Actor, user_id: int, role: str,
               org_id: int | None = None, region_id: int | None = None,
               municipality_id: int | None = None) -> RoleGrant:
    require_admin(actor)
    if uow.session.get(User, user_id) is None:
        raise NotFound("user")
    if role not in ROLES:
        raise ValidationFailed({"role": Text("Неизвестная роль", "Unknown role")})
    region_id = _check_grant_scope(uow, role, org_id, region_id, municipality_id)
    grant = RoleGrant(user_id=user_id, role=role, org_id=org_id, region_id=region_id,
                      municipality_id=municipality_id)
    uow.session.add(grant)
    uow.session.flush()
    record(uow.session, actor, EventKind.ROLE_GRANTED, None,
           {"user_id": user_id, "role": role, "org_id": org_id, "region_id": region_id,
            "municipality_id": municipality_id})
    uow.commit()
    return grant


def end_sessions(session: Any, user: User) -> None:
    """Raise the user's session epoch: every browser session signed in before it ends
    (one UPDATE, so two raises at once both count). The caller records the event."""
    user.session_epoch = User.session_epoch + 1


def _user_or_404(uow: UnitOfWork, user_id: Any) -> User:
    """The user with that id; NotFound for any other value, an id beyond the database's
    integers included (PostgreSQL would refuse to compare with it)."""
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not -2**31 <= user_id < 2**31:
        raise NotFound("user")
    return get_or_404(uow.session, User, user_id, "user")


_NOT_SELF = Text("Нельзя отключить собственную учётную запись", "You cannot deactivate your own account")


def deactivate_user(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    """The user can no longer sign in; their browser sessions end and their API tokens
    answer 401 (the tokens are kept: activating the user again makes them work again)."""
    require_admin(actor)
    user = _user_or_404(uow, user_id)
    if user.id == actor.user_id:
        raise ValidationFailed({"user_id": _NOT_SELF})
    if user.is_active:
        user.is_active = False
        end_sessions(uow.session, user)
        record(uow.session, actor, EventKind.USER_DEACTIVATED, None, {"user_id": user.id, "email": user.email})
    uow.commit()
    return user


def activate_user(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    """Let a deactivated user sign in again (with the password they had)."""
    require_admin(actor)
    user = _user_or_404(uow, user_id)
    if not user.is_active:
        user.is_active = True
        record(uow.session, actor, EventKind.USER_ACTIVATED, None, {"user_id": user.id, "email": user.email})
    uow.commit()
    return user


def revoke_role(uow: UnitOfWork, actor: Actor, user_id: int, data: dict[str, Any]) -> RoleGrant:
    """Remove one role grant, named by the role and, when the user holds it in several
    places, its organisation or region. The user's browser sessions end. An admin cannot
    remove their own last admin role. Returns the removed grant."""
    require_admin(actor)
    user = _user_or_404(uow, user_id)
    body: RoleRevoke = parse(RoleRevoke, data)
    if body.municipality_id is not None:
        raise ValidationFailed({"municipality_id": Text(
            "Роли на уровне муниципалитета пока не поддерживаются: роли выдаются на организацию или регион",
            "Municipal roles are not supported yet: roles are granted for an organisation or a region")})
    held = uow.session.execute(select(RoleGrant).where(
        col(RoleGrant.user_id) == user.id, col(RoleGrant.role) == body.role)
        .order_by(col(RoleGrant.id))).scalars().all()
    matching = [g for g in held if (body.org_id is None or g.org_id == body.org_id)
                and (body.region_id is None or g.region_id == body.region_id)]
    if not matching:
        where = (None if body.org_id is None and body.region_id is None else
                 Text(" в этой организации" if body.org_id is not None else " в этом регионе",
                      " in this organisation" if body.org_id is not None else " in this region"))
        raise ValidationFailed({"role": Text(f"У пользователя нет этой роли{where.ru if where else ''}",
                                             f"The user does not hold this role{where.en if where else ''}")})
    if len(matching) > 1:
        field = "region_id" if body.role in REGION_ROLES else "org_id"
        raise ValidationFailed({field: Text(
            "Эта роль выдана пользователю в нескольких местах: укажите " +
            ("регион" if field == "region_id" else "организацию"),
            "The user holds this role in several places: name the " +
            ("region" if field == "region_id" else "organisation"))})
    grant = matching[0]
    if body.role in GLOBAL_ROLES and user.id == actor.user_id and len(held) == 1:
        raise ValidationFailed({"role": Text("Нельзя снять с себя последнюю роль администратора",
                                             "You cannot remove your own last admin role")})
    uow.session.delete(grant)
    end_sessions(uow.session, user)
    record(uow.session, actor, EventKind.ROLE_REVOKED, None,
           {"user_id": user.id, "role": grant.role, "org_id": grant.org_id, "region_id": grant.region_id})
    uow.commit()
    return grant


def user_by_email(uow: UnitOfWork, email: str) -> User:
    user = uow.session.execute(select(User).where(col(User.email) == email.strip().lower())).scalars().first()
    if user is None:
        raise NotFound("user")
    return user


def create_token(uow: UnitOfWork, actor: Actor, email: str) -> str:
    """A new API token for the user; only its hash is stored. Returns the token."""
    require_admin(actor)
    user = user_by_email(uow, email)
    token = "ls_" + secrets.token_urlsafe(32)
    uow.session.add(ApiToken(user_id=pk(user), token_hash=hash_token(token), created_at=clock.now()))
    record(uow.session, actor, EventKind.TOKEN_CREATED, None, {"user_id": user.id})
    uow.commit()
    return token


def revoke_tokens(uow: UnitOfWork, actor: Actor, email: str) -> int:
    require_admin(actor)
    user = user_by_email(uow, email)
    now = clock.now()
    result = uow.session.exec(update(ApiToken).where(
        col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None)).values(revoked_at=now))
    count = result.rowcount
    record(uow.session, actor, EventKind.TOKEN_REVOKED, None, {"user_id": user.id, "count": count})
    uow.commit()
    return count


def actor_for_token(uow: UnitOfWork, token: str) -> Actor | None:
    """The actor a bearer token belongs to (recording its last use), or None."""
    if not token:
        return None
    row = uow.session.execute(select(ApiToken).where(
        col(ApiToken.token_hash) == hash_token(token), col(ApiToken.revoked_at).is_(None))).scalars().first()
    if row is None:
        return None
    user = uow.session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    now = clock.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now  # at most once a minute, to keep reads cheap
        uow.commit()
    return load_actor(uow.session, pk(user))


def authenticate(uow: UnitOfWork, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None.

    The answer takes as long whether the account exists or not: an unknown or deactivated
    account costs one verification against a dummy hash at the current cost, and a wrong
    password for a hash written at a lower cost (before the cost was raised) costs that
    dummy verification too. A right password for such a hash is hashed again at the
    current cost (event ``password_rehashed``), so the older hashes die out."""
    user = uow.session.execute(select(User).where(col(User.email) == (email or "").strip().lower())).scalars().first()
    stored = user.password_hash if user is not None and user.is_active else None
    if not verify_password(password or "", stored):
        if stored and needs_rehash(stored):
            verify_password(password or "", None)
        return None
    if user is not None and needs_rehash(stored):  # a user: the password was verified
        user.password_hash = hash_password(password)
        record(uow.session, Actor(user_id=user.id), EventKind.PASSWORD_REHASHED, None, {"user_id": user.id})
        uow.commit()
    return user


__all__ = ["SYSTEM", "hash_password", "verify_password"]



def update_municipality(uow: UnitOfWork, actor: Actor, municipality_id: int, data: dict[str, Any]) -> Municipality:
    """Rename a municipality or change its kind (city / district); the
    ``municipality_updated`` event lists each changed field as ``[old, new]``."""
    require_admin(actor)
    mun = uow.session.get(Municipality, municipality_id)
    if mun is None:
        raise NotFound("municipality")
    body: MunicipalityPatch = parse(MunicipalityPatch, data)
    given = {k: getattr(body, k) for k in body.model_fields_set if getattr(body, k) is not None}
    if "name" in given:
        clash = uow.session.execute(select(col(Municipality.id)).where(
            col(Municipality.region_id) == mun.region_id, func.lower(col(Municipality.name)) == given["name"].lower(),
            col(Municipality.id) != mun.id)).first()
        if clash:
            raise ValidationFailed({"name": Text("Такой муниципалитет в регионе уже есть",
                                                 "The region has a municipality of this name already")})
    changes = {k: [str(getattr(mun, k)), str(v)] for k, v in given.items() if getattr(mun, k) != v}
    if changes:
        for key in changes:
            setattr(mun, key, given[key])
        uow.session.flush()
        record(uow.session, actor, EventKind.MUNICIPALITY_UPDATED, None,
               {"municipality_id": mun.id, "changes": changes})
    uow.commit()
    return mun
