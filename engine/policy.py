"""Who may do what: roles x scope, in one table (API.md "Roles and scope").

Scope decides visibility (outside it -> NotFound); the role decides the action
(in scope but not allowed -> Forbidden).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import Forbidden, NotFound

# action -> roles that may do it (within their scope)
ACTIONS: dict[str, frozenset[str]] = {
    "project.view": frozenset({"member", "head", "curator", "admin"}),
    "project.create": frozenset({"member", "head"}),
    "project.edit": frozenset({"member", "head"}),
    "project.log": frozenset({"member", "head"}),  # metrics, measurements, problems,
    #                                                 actions, artefacts, risks, team
    "project.comment": frozenset({"member", "head", "curator"}),
    "practice.publish": frozenset({"curator"}),
    "admin.manage": frozenset({"admin"}),
}
# Transitions say themselves who fires and who approves (workflow `roles`, `approval`).


@dataclass(frozen=True)
class Grant:
    role: str
    org_id: int | None = None
    region_id: int | None = None


@dataclass(frozen=True)
class Actor:
    """The person acting; ``None`` user_id means the system (scheduler)."""
    user_id: int | None
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    # org_id -> region_id for the orgs the grants name (to place members in a region)
    org_regions: dict[int, int] = field(default_factory=dict, hash=False, compare=False)

    @property
    def is_admin(self) -> bool:
        return any(g.role == "admin" for g in self.grants)

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    def roles_for(self, org_id: int, region_id: int) -> frozenset[str]:
        """The roles this actor holds for an object of that organisation and region."""
        roles: set[str] = set()
        for g in self.grants:
            if g.role == "admin":
                roles.add("admin")
            elif g.role == "curator" and g.region_id == region_id:
                roles.add("curator")
            elif g.role in ("member", "head") and g.org_id == org_id:
                roles.add(g.role)
                if g.role == "head":
                    roles.add("member")  # a head may do all a member may
        return frozenset(roles)

    def region_ids(self) -> set[int]:
        out = {g.region_id for g in self.grants if g.region_id is not None}
        out |= {self.org_regions[g.org_id] for g in self.grants
                if g.org_id is not None and g.org_id in self.org_regions}
        return out

    def org_ids(self) -> set[int]:
        return {g.org_id for g in self.grants if g.org_id is not None}


SYSTEM = Actor(user_id=None, grants=(Grant("admin"),))


def can(actor: Actor, action: str, org_id: int, region_id: int) -> bool:
    return bool(actor.roles_for(org_id, region_id) & ACTIONS[action])


def require_visible(actor: Actor, org_id: int, region_id: int, what: str = "project") -> frozenset[str]:
    """The actor's roles here; NotFound when the object is outside their scope."""
    roles = actor.roles_for(org_id, region_id)
    if not roles:
        raise NotFound(what)
    return roles


def require(actor: Actor, action: str, org_id: int, region_id: int, what: str = "project") -> frozenset[str]:
    """NotFound outside scope, Forbidden in scope without the role; else the roles."""
    roles = require_visible(actor, org_id, region_id, what)
    if not roles & ACTIONS[action]:
        raise Forbidden()
    return roles


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden()
