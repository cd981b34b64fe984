"""Numbers of the domain: the range each kind of figure may take when it is typed in
(engine/schemas.py puts them on the fields, so the API's OpenAPI description shows them),
and arithmetic that stays finite for whatever float the database holds (a value written
before the bounds existed, or by hand with SQL, must still render: issue #10).

- metric ``baseline``, ``target`` and a measurement's ``value``: -1e9 … 1e9. Minutes,
  per cent, counts or roubles of a school's process; a billion is beyond all of them.
- ``planned_hours_saved``, ``actual_hours_saved``: 0 … 1e6 hours. A whole year of work
  of a 500-person college is about 900 000 hours.
- ``planned_roubles``, ``actual_roubles``: 0 … 1e10 roubles. Ten billion: more than the
  yearly budget of the largest education organisation.
- risk ``probability`` and ``impact``: 1 … 5, the 5×5 risk matrix (DOMAIN.md).
"""
from __future__ import annotations

import math
import sys
from typing import Any

METRIC_ABS_MAX = 1e9
HOURS_MAX = 1e6
ROUBLES_MAX = 1e10

FLOAT_MAX = sys.float_info.max


def finite(value: Any) -> float | None:
    """A float that JSON, a page and a spreadsheet can carry: None stays None, an overflow
    (a sum of two stored 1e308) saturates at the largest float, NaN becomes None."""
    if value is None:
        return None
    number = float(value)
    if math.isnan(number):
        return None
    return max(-FLOAT_MAX, min(FLOAT_MAX, number))


def progress_towards_target(value: float, baseline: float, target: float) -> float | None:
    """How far ``value`` has come from ``baseline`` towards ``target``, between 0 and 1;
    None when baseline and target are equal. Computed on the three divided by the largest
    magnitude, so that neither 1e308 - (-1e308) overflows nor tiny values vanish."""
    scale = max(abs(value), abs(baseline), abs(target))
    if scale == 0 or target == baseline:
        return None
    v, b, t = value / scale, baseline / scale, target / scale
    if t == b:
        return None
    return max(0.0, min(1.0, (v - b) / (t - b)))
