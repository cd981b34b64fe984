"""The API's answers about defence sessions (/api/v1/defence-sessions; OpenAPI is
generated from these models)."""
from __future__ import annotations

from engine.defence.pages import SessionView
from engine.models import DefenceSession
from engine.outputs import IsoDate, Out, Timestamp


class CommissionMember(Out):
    id: int
    name: str


class DefenceItemOut(Out):
    id: int
    project_id: int
    title: str
    org_id: int
    org_name: str
    request_id: int
    request_status: str
    decision: str | None  # accepted | to_revise | null (not decided yet)
    remarks: str | None
    decided_by: int | None
    decided_at: Timestamp | None


class DefenceSessionBrief(Out):
    id: int
    region_id: int
    title: str
    held_on: IsoDate
    place: str
    status: str  # planned | held | closed
    version: int
    decided: int
    total: int


class DefenceSessionOut(DefenceSessionBrief):
    commission: list[CommissionMember]
    items: list[DefenceItemOut]


class DefenceSessionList(Out):
    items: list[DefenceSessionBrief]
    total: int


def brief(s: DefenceSession, decided: int, total: int) -> DefenceSessionBrief:
    return DefenceSessionBrief(id=s.id, region_id=s.region_id, title=s.title, held_on=s.held_on, place=s.place,
                               status=s.status, version=s.version, decided=decided, total=total)


def session_out(view: SessionView) -> DefenceSessionOut:
    s = view.session
    return DefenceSessionOut(
        **brief(s, view.decided, view.total).model_dump(),
        commission=[CommissionMember(id=p.id, name=p.name) for p in view.commission],
        items=[DefenceItemOut(id=i.id, project_id=i.project_id, title=i.title, org_id=i.org_id,
                              org_name=i.org_name, request_id=i.request_id, request_status=i.request_status,
                              decision=i.decision, remarks=i.remarks, decided_by=i.decided_by,
                              decided_at=i.decided_at) for i in view.items])
