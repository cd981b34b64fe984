"""Small server-rendered SVG charts (no JavaScript library, printable)."""
from __future__ import annotations

from datetime import date
from typing import Any

from markupsafe import Markup, escape


def sparkline(metric: dict[str, Any], width: int = 320, height: int = 80) -> Markup:
    """Measurements over time as a line, with the baseline and target as dashed lines."""
    points = [(date.fromisoformat(m["measured_on"]), float(m["value"])) for m in metric["measurements"]]
    refs = [v for v in (metric.get("baseline"), metric.get("target")) if v is not None]
    values = [v for _, v in points] + refs
    if not values:
        return Markup("")
    lo, hi = min(values), max(values)
    if hi == lo:
        hi, lo = hi + 1, lo - 1
    pad = 6

    def y(v: float) -> float:
        return round(pad + (hi - v) / (hi - lo) * (height - 2 * pad), 1)

    parts = [f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="{escape(metric["name"])}">']
    for value, cls in ((metric.get("baseline"), "baseline"), (metric.get("target"), "target")):
        if value is not None:
            parts.append(f'<line class="{cls}" x1="0" x2="{width}" y1="{y(value)}" y2="{y(value)}"/>')
    if points:
        d0, d1 = points[0][0], points[-1][0]
        span = max(1, (d1 - d0).days)

        def x(d: date) -> float:
            return round(pad + (d - d0).days / span * (width - 2 * pad), 1) if len(points) > 1 else width / 2

        path = " ".join(f"{x(d)},{y(v)}" for d, v in points)
        parts.append(f'<polyline class="values" points="{path}"/>')
        for d, v in points:
            parts.append(f'<circle cx="{x(d)}" cy="{y(v)}" r="3"><title>{d.isoformat()}: {v:g}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))
