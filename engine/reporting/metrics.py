"""The latest value of a metric, in one place.

A metric's latest value is its measurement last by date, then by record order. It is
kept on the metric (``metric.latest_value`` / ``latest_on``) by
``services.items.record_measurement`` in the measurement's own transaction (migration 0004
filled it for older data), so nothing reads the measurement table to find it: Python
asks ``reached(metric)``, SQL uses ``metric_met()``.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, select
from sqlmodel import Session, col

from engine.models import Metric


def meets_target(direction: str, value: float, target: float) -> bool:
    """Whether ``value`` meets ``target`` in the metric's good direction."""
    return value <= target if direction == "decrease" else value >= target


def reached(metric: Metric) -> bool:
    """The metric has a target and its latest value meets it."""
    return (metric.target is not None and metric.latest_value is not None
            and meets_target(metric.direction, metric.latest_value, metric.target))


def all_reached(session: Session, project_id: int) -> bool:
    """The project has metrics and every one reached its target (the check
    ``targets_reached``; a practice may be published only then)."""
    metrics = session.execute(select(Metric).where(col(Metric.project_id) == project_id)).scalars().all()
    return bool(metrics) and all(reached(m) for m in metrics)


def metric_met() -> Any:
    """SQL: 1 when the metric's latest value meets its target in its direction, else 0."""
    return case((and_(col(Metric.direction) == "decrease", col(Metric.latest_value) <= col(Metric.target)), 1),
                (and_(col(Metric.direction) == "increase", col(Metric.latest_value) >= col(Metric.target)), 1), else_=0)
