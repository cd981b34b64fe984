"""Who may do what: roles x scope, in one table (API.md "Roles and scope").

Scope decides visibility (outside it -> NotFound); the role decides the action
(in scope but not allowed -> Forbidden).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import Forbidden, NotFound

# The roles, by what a grant names: an organisation, a region, or nothing (everywhere).
# A region role's grant may name a municipality too (the municipal curator): it then
# reaches that municipality's organisations only (``Grant.municipality_id``).
COORDINATOR = "coordinator"  # школьный координатор: the participation's keeper (PROGRAMME.md)
ORG_ROLES: tuple[str, ...] = ("member", "head", COORDINATOR)
REGION_ROLES: tuple[str, ...] = ("curator",)
GLOBAL_ROLES: tuple[str, ...] = ("admin",)
ROLES: tuple[str, ...] = ORG_ROLES + REGION_ROLES + GLOBAL_ROLES
# a role that brings others with it: a head may do all a member may; so may a school
# coordinator (школьный координатор, PROGRAMME.md), who never approves moves
IMPLIES: dict[str, tuple[str, ...]] = {"head": ("head", "member"),
                                       "coordinator": ("coordinator", "member")}

_ORG = frozenset({"member", "head"})  # what member confers: every org role has it

# action -> roles that may do it (within their scope)
ACTIONS: dict[str, frozenset[str]] = {
    "project.view": frozenset(ROLES),
    "project.create": _ORG,
    "project.edit": _ORG,
    "project.log": _ORG,  # metrics, measurements, problems, actions, artefacts, risks, team
    "project.comment": _ORG | {"curator"},
    "project.move": _ORG | {"curator"},  # fire a transition (its workflow `roles` narrow it)
    "project.staff": _ORG,  # be named the project's leader, an action's or a risk's owner
    "project.stall_notice": frozenset({"head"}),
    # take back one's own pending request (a head who may decide it may withdraw it too:
    # may_withdraw)
    "request.withdraw": _ORG | {"curator"},  # told when a project of the organisation stalls
    "region.watch": frozenset({"curator", "admin"}),  # the region's control tower
    "practice.publish": frozenset({"curator"}),
    # export/import practices between installations (leanschool practices, engine/practices/exchange.py)
    "practice.exchange": frozenset({"curator", "admin"}),
    "admin.manage": frozenset({"admin"}),
    # the programme above the projects (PROGRAMME.md)
    "programme.view": frozenset({"curator", "admin"}),  # its tower, its participants' pages
    "programme.manage": frozenset({"curator", "admin"}),  # create, edit, stages, tasks, rounds
    "participation.view": frozenset({"head", "coordinator", "curator", "admin"}),
    # initiative group, readiness answers, work plan items, submitting the plan
    "participation.edit": frozenset({"head", "coordinator"}),
    "participation.manage": frozenset({"curator", "admin"}),  # add, withdraw, reopen an answer
    "plan.decide": frozenset({"curator"}),  # approve or return a work plan
    # training (PROGRAMME.md "Training"): a region's courses, streams, enrolments, imports
    "training.manage": frozenset({"curator", "admin"}),
    "training.view": frozenset({"head", "coordinator", "curator", "admin"}),  # own people's enrolments
    # defence sessions (engine/defence/): the region's curators schedule them and decide;
    # a session's commission members decide too (may_decide_defence)
    "defence.view": frozenset({"curator", "admin"}),
    "defence.schedule": frozenset({"curator"}),
    "defence.decide": frozenset({"curator"}),
    # events and dissemination (engine/events/): everyone of the region sees them; the region's
    # curators (not a municipal one: an event is the region's) and the admins record and edit them
    "event.view": frozenset(ROLES),
    "region.events": frozenset({"curator", "admin"}),
    # scaling campaigns (engine/campaigns/): curators offer a practice, heads answer the offer
    "campaign.manage": frozenset({"curator"}),  # create and close a campaign of the region
    "campaign.view": frozenset({"curator", "admin"}),  # every campaign of the region, its funnel
    "offer.decide": frozenset({"head"}),  # accept (a replica project) or decline an offer
    # evaluation editions (engine/evaluation/): the region's curators prepare and sign them
    "region.evaluation_view": frozenset({"curator", "admin"}),
    "region.evaluation_manage": frozenset({"curator"}),
}
# Transitions say themselves who fires and who approves (workflow `roles`, `approval`):
# a request is decided by whoever holds its `approval` role for the project (`may_decide`).


def conferred(role: str) -> tuple[str, ...]:
    """The roles one grant of ``role`` gives (a head is a member too)."""
    return IMPLIES.get(role, (role,))


@dataclass(frozen=True)
class Grant:
    role: str
    org_id: int | None = None
    region_id: int | None = None
    municipality_id: int | None = None  # a municipal curator's municipality


@dataclass(frozen=True)
class Actor:
    """The person acting; ``None`` user_id means the system (scheduler)."""
    user_id: int | None
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    # org_id -> region_id for the orgs the grants name (to place members in a region)
    org_regions: dict[int, int] = field(default_factory=dict, hash=False, compare=False)
    # municipality_id -> its organisations, for the municipalities the grants name
    municipal_orgs: dict[int, frozenset[int]] = field(default_factory=dict, hash=False, compare=False)

    @property
    def is_admin(self) -> bool:
        return any(g.role in GLOBAL_ROLES for g in self.grants)

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    def roles_for(self, org_id: int, region_id: int) -> frozenset[str]:
        """The roles this actor holds for an object of that organisation and region."""
        roles: set[str] = set()
        for g in self.grants:
            if (g.role in GLOBAL_ROLES or (g.role in REGION_ROLES and g.region_id == region_id
                                           and self._in_municipality(g, org_id))
                    or (g.role in ORG_ROLES and g.org_id == org_id)):
                roles.update(conferred(g.role))
        return frozenset(roles)

    def _in_municipality(self, g: Grant, org_id: int) -> bool:
        return g.municipality_id is None or org_id in self.municipal_orgs.get(g.municipality_id, ())

    def region_roles(self, region_id: int) -> frozenset[str]:
        """The roles this actor holds for a region as a whole (its curators, the admins; a
        municipal curator holds none: the region is more than their municipality)."""
        return frozenset(r for g in self.grants
                         if g.role in GLOBAL_ROLES or (g.role in REGION_ROLES and g.region_id == region_id
                                                       and g.municipality_id is None)
                         for r in conferred(g.role))

    def municipal_roles(self, municipality_id: int, region_id: int) -> frozenset[str]:
        """The roles this actor holds for one municipality as a whole (a programme's
        municipality row): the region's curators, that municipality's curators, admins."""
        return frozenset(r for g in self.grants
                         if g.role in GLOBAL_ROLES or (g.role in REGION_ROLES and g.region_id == region_id
                                                       and g.municipality_id in (None, municipality_id))
                         for r in conferred(g.role))

    def held_roles(self) -> frozenset[str]:
        """Every role this actor holds somewhere."""
        return frozenset(r for g in self.grants for r in conferred(g.role))

    def curator_region_ids(self) -> set[int]:
        """The regions this actor curates as a whole (municipal curators' are not)."""
        return {g.region_id for g in self.grants if g.role in REGION_ROLES and g.region_id is not None
                and g.municipality_id is None}

    def municipal_org_ids(self) -> set[int]:
        """The organisations of the municipalities this actor curates (a municipal curator)."""
        return {o for g in self.grants if g.role in REGION_ROLES and g.municipality_id is not None
                for o in self.municipal_orgs.get(g.municipality_id, ())}

    def curated_municipality_ids(self) -> set[int]:
        return {g.municipality_id for g in self.grants
                if g.role in REGION_ROLES and g.municipality_id is not None}

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


def granting(action: str, kind: tuple[str, ...] = ROLES) -> tuple[str, ...]:
    """The roles of ``kind`` (ORG_ROLES, REGION_ROLES, ...) whose grants let one do
    ``action``: for SQL over RoleGrant rows, where a head's grant says only "head"."""
    return tuple(r for r in kind if set(conferred(r)) & ACTIONS[action])


def can_in_region(actor: Actor, action: str, region_id: int) -> bool:
    """For what concerns a whole region (its control tower)."""
    return bool(actor.region_roles(region_id) & ACTIONS[action])


def can_in_municipality(actor: Actor, action: str, municipality_id: int, region_id: int) -> bool:
    """For what concerns one municipality as a whole (a municipal curator's programme tower)."""
    return bool(actor.municipal_roles(municipality_id, region_id) & ACTIONS[action])


# what concerns a region as a whole: a municipal curator's grant does not reach it
REGION_WIDE_ACTIONS = frozenset({"region.watch", "region.events", "region.evaluation_view"})


def can_somewhere(actor: Actor, action: str) -> bool:
    """Whether some grant lets the actor do ``action`` anywhere (the menu's links)."""
    if action in REGION_WIDE_ACTIONS:
        return actor.is_admin or any(can_in_region(actor, action, r) for r in actor.curator_region_ids())
    return bool(actor.held_roles() & ACTIONS[action])


def may_decide(actor: Actor, approval: str | None, org_id: int, region_id: int) -> bool:
    """Whether the actor may approve or reject a request that waits for ``approval``."""
    return bool(approval) and approval in actor.roles_for(org_id, region_id)


def may_withdraw(actor: Actor, requested_by: int | None, approval: str | None,
                 org_id: int, region_id: int) -> bool:
    """Whether the actor may withdraw a pending request: the person who asked, while they
    still hold a role that may withdraw here, or whoever may decide it."""
    own = (actor.user_id is not None and actor.user_id == requested_by
           and can(actor, "request.withdraw", org_id, region_id))
    return own or may_decide(actor, approval, org_id, region_id)


def may_decide_defence(actor: Actor, region_id: int, commission: set[int] | frozenset[int]) -> bool:
    """Whether the actor may record decisions at a defence session of ``region_id``: a
    curator of the region, or a member of the session's commission who is a curator."""
    return (can_in_region(actor, "defence.decide", region_id)
            or (actor.user_id in commission and bool(actor.held_roles() & ACTIONS["defence.decide"])))


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
