"""All time in the engine comes from here, in UTC.

Tests control it with freezegun (which patches ``datetime.now``) or with ``set_clock``.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

_override: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    if _override is not None:
        return _override().astimezone(UTC)
    return datetime.now(UTC)


def today() -> date:
    """The current UTC date ("the day" of a timestamp is its UTC date)."""
    return now().date()


def set_clock(fn: Callable[[], datetime] | None) -> Callable[[], datetime] | None:
    """Replace the clock (None restores the real one); returns the clock it replaced, so
    a caller can put it back. For tests and the demo loader."""
    global _override
    previous, _override = _override, fn
    return previous


def as_utc(value: datetime) -> datetime:
    """Treat a naive datetime as UTC; convert an aware one to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z`` suffix, as the API promises."""
    if value is None:
        return None
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
