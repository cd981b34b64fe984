"""The demo's training (#14): the seed's qualification course «Реализация концепции
бережливого производства в образовательных организациях» (72 h) with its two streams,
placed where the seed puts them in the programme's year (late March, late November of
its first year), relative to today like the rest of the demo. Coordinators and some of
their initiative groups are enrolled; those of a stream that has ended mostly completed
it with a certificate number, so the funnel's «команда обучена» and ``team_trained``
show real data. Through the training services, as the region's curator."""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.db import Store
from engine.models import InitiativeMember, Organization, Participant, pk
from engine.policy import Actor
from engine.training import service as training_svc

COURSE = "ПК «Реализация концепции бережливого производства в образовательных организациях»"
PLACE = "Орёл, БУ ОО ДПО «Институт развития образования»"
# the seed's streams: 25–27.03.2020 and 23–25.11.2020, the programme having begun in January
STREAMS = ((84, 86), (327, 329))


def load_training(store: Store, region_id: int, curator: Actor, start: date,
                  on: Callable[[int], date], participants: list[tuple[Participant, Organization, int]],
                  coordinators: dict[int, Actor], seed: int = 2014) -> dict[str, int]:
    """The course, its streams, enrolments and completions; returns what it made."""
    rng = random.Random(seed)
    today = clock.today()
    made = {"enrolled": 0, "completed": 0}
    on(STREAMS[0][0] - 30)
    with store.uow() as uow:
        course = training_svc.create_course(uow, curator, {"region_id": region_id, "title": COURSE, "hours": 72,
                                                           "kind": "qualification"})
    streams = []
    for first, last in STREAMS:
        on(min(first - 20, (today - start).days))
        with store.uow() as uow:
            streams.append(training_svc.add_stream(uow, curator, pk(course), {
                "starts_on": (start + timedelta(days=first)).isoformat(),
                "ends_on": (start + timedelta(days=last)).isoformat(), "place": PLACE}))
    cert = 572400010000
    for part, org, joined in participants:
        coordinator = coordinators.get(pk(org))
        if coordinator is None:
            continue
        which = 0 if joined < STREAMS[0][0] - 10 else 1
        stream = streams[which]
        with store.uow() as uow:
            members = list(uow.session.execute(select(col(InitiativeMember.id)).where(
                col(InitiativeMember.participant_id) == part.id).order_by(col(InitiativeMember.id))).scalars())
        people: list[dict[str, Any]] = [{"user_id": coordinator.user_id, "org_id": org.id}]
        people += [{"member_id": m} for m in members[:rng.randint(0, 2)]]
        on(STREAMS[which][0] - rng.randint(2, 15))
        rows = []
        for who in people:
            with store.uow() as uow:
                rows.append(training_svc.enrol(uow, curator, pk(stream), who))
            made["enrolled"] += 1
        if stream.ends_on >= today:
            continue  # the stream is still ahead
        on(STREAMS[which][1] + 3)
        for row in rows:
            if rng.random() < 0.85:
                cert += 1
                with store.uow() as uow:
                    training_svc.complete(uow, curator, pk(row), {"completed_on": stream.ends_on.isoformat(),
                                                                  "certificate_no": str(cert)})
                made["completed"] += 1
    return made
