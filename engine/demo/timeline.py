"""When things happen: day offsets to moments in working hours, the load's steps in order,
and running them in batched transactions (one OneTransaction per batch)."""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event

from engine import clock
from engine.db import OneTransaction, Store, UnitOfWork

SETUP_DAYS = 250      # the region, organisations and people appear this many days ago
MAX_AGE_DAYS = 236    # the oldest project starts about eight months ago
EPS = 0.003           # the least gap between two steps of one project (days)
HISTORY_DAYS = {"diagnose": (18, 40), "target": (10, 25), "implement": (28, 55),
                "standardise": (10, 24), "sustain": (30, 70)}


# --- time -----------------------------------------------------------------------------------

class Timeline:
    """Day offsets (negative floats: days before the start of ``end``) -> UTC moments in
    working hours (06:00-15:00 UTC). Saturday and Sunday fold into Friday evening, so
    the order of moments is kept."""

    def __init__(self, end: date):
        self.end = end

    def at(self, d: float) -> datetime:
        whole = math.floor(d)
        day = self.end + timedelta(days=whole)
        start, span = 6.0, 9.0
        if day.weekday() == 5:
            day, start, span = day - timedelta(days=1), 15.0, 1.5
        elif day.weekday() == 6:
            day, start, span = day - timedelta(days=2), 16.5, 1.5
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=start + (d - whole) * span)

    def day(self, d: float) -> date:
        return self.at(d).date()


@dataclass(order=True)
class Step:
    at: datetime
    seq: int
    label: str = field(compare=False)
    fn: Callable[[UnitOfWork], Any] = field(compare=False, repr=False)
    project: int = field(default=0, compare=False)  # 0: the region's setup


class Plan:
    """All steps of the load."""

    def __init__(self, timeline: Timeline):
        self.tl = timeline
        self.steps: list[Step] = []
        self.projects = 0

    def new_project(self) -> int:
        self.projects += 1
        return self.projects

    def add(self, d: float, label: str, fn: Callable[[UnitOfWork], Any], project: int = 0) -> None:
        self.steps.append(Step(self.tl.at(d), len(self.steps), label, fn, project))

    def in_time_order(self) -> list[Step]:
        return sorted(self.steps)

    def by_project(self) -> list[Step]:
        """Project after project (in the order they were created), each in time order:
        a batch then touches few projects, so the session's identity map serves most reads."""
        first: dict[int, Step] = {}
        for st in self.steps:
            if st.project not in first or st < first[st.project]:
                first[st.project] = st
        return sorted(self.steps, key=lambda st: (first[st.project], st))


class DemoError(RuntimeError):
    """A planned step was refused by the engine (a bug in the demo plan)."""


def _keep_rows(session: Any) -> None:
    """Keep every row the session loads or inserts referenced while the session lives, so
    that its identity map (weak by default) answers the services' repeated
    ``session.get`` without a query."""
    kept: list[Any] = []  # held by the listeners, which the session holds
    for name in ("loaded_as_persistent", "pending_to_persistent"):
        event.listen(session, name, lambda _session, obj: kept.append(obj))


def _batches(steps: list[Step], size: int, by_project: bool) -> Iterator[list[Step]]:
    """Consecutive steps, cut every ``size`` steps (and, by project, where a project ends)."""
    batch: list[Step] = []
    for st in steps:
        if batch and (len(batch) >= size or (by_project and st.project and st.project != batch[-1].project)):
            yield batch
            batch = []
        batch.append(st)
    if batch:
        yield batch


def run_steps(store: Store, steps: list[Step], moment: list[datetime], batch: int, by_project: bool,
         on_step: Callable[[Step], None]) -> None:
    def call(st: Step, uow: UnitOfWork) -> None:
        moment[0] = st.at
        try:
            st.fn(uow)
        except Exception as exc:
            raise DemoError(f"demo step «{st.label}» at {clock.iso(st.at)} failed: "
                            f"{type(exc).__name__}: {exc}") from exc
        on_step(st)

    for chunk in _batches(steps, batch, by_project):
        # many service calls, ONE transaction: a service's commit() only flushes (every
        # call still writes its events); the batch commits once
        with store.uow() as uow:
            if by_project:
                _keep_rows(uow.session)
            one = OneTransaction(uow)
            for st in chunk:
                call(st, one)
            uow.commit()
