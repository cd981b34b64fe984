"""Daily snapshots for the cumulative flow (00:05 UTC): every missing day up to today."""
from __future__ import annotations

import time

from sqlalchemy.exc import OperationalError

from engine import clock
from engine.db import Store


def snapshots(store: Store) -> dict[str, int]:
    """Daily snapshots for the cumulative flow: every missing day up to today, rebuilt
    from the event log (engine.reporting.analytics, idempotent per day)."""
    from engine.reporting import analytics

    for attempt in range(3):
        try:
            with store.uow() as uow:
                days = analytics.rebuild_missing_snapshots(uow.session, store.workflows, clock.today())
                uow.commit()
            return {"days": len(days)}
        except OperationalError:
            # SQLite refuses to upgrade a read transaction to a write one when another
            # writer committed in between ("database is locked"); the job is idempotent.
            if attempt == 2 or store.dialect != "sqlite":
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")
