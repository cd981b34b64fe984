"""The metric chart of the printable reports: measurements over time against the baseline
and the target, with axes, server-rendered SVG that keeps its meaning in black and white
(the three lines differ by dash pattern, not only by colour)."""
from __future__ import annotations

from datetime import date
from typing import Any

from markupsafe import Markup, escape

from webui.web.charts import vertical_scale


def _num(value: float) -> str:
    return f"{value:,.6g}".replace(",", "\u00a0")


def metric_chart(metric: dict[str, Any], baseline_label: str, target_label: str,
                 width: int = 680, height: int = 200) -> Markup:
    """``metric``: name, baseline, target and measurements ([{measured_on, value}], oldest
    first), as engine.services.queries.project_detail gives them. Empty without any value."""
    points = [(date.fromisoformat(str(m["measured_on"])[:10]), float(m["value"]))
              for m in metric.get("measurements") or []]
    refs = [(float(v), cls, label) for v, cls, label in ((metric.get("baseline"), "baseline", baseline_label),
                                                          (metric.get("target"), "target", target_label))
            if v is not None]
    values = [v for _, v in points] + [v for v, _, _ in refs]
    if not values:
        return Markup("")
    left, right, top, bottom = 64, 120, 10, 26
    w, h = width - left - right, height - top - bottom
    y, lo, hi = vertical_scale(values, top, top + h, margin=0.1)

    parts = [f'<svg class="mchart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(metric.get("name", ""))}" xmlns="http://www.w3.org/2000/svg">',
             f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + h}"/>',
             f'<line class="axis" x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}"/>',
             f'<text class="tick" x="{left - 6}" y="{y(hi) + 4}" text-anchor="end">{_num(hi)}</text>',
             f'<text class="tick" x="{left - 6}" y="{y(lo)}" text-anchor="end">{_num(lo)}</text>']
    for value, cls, label in refs:
        parts.append(f'<line class="{cls}" x1="{left}" x2="{left + w}" y1="{y(value)}" y2="{y(value)}"/>'
                     f'<text class="ref {cls}-label" x="{left + w + 6}" y="{y(value) + 4}">'
                     f'{escape(label)}: {_num(value)}</text>')
    if points:
        d0, d1 = points[0][0], points[-1][0]
        days = max(1, (d1 - d0).days)

        def x(d: date) -> float:
            return round(left + (d - d0).days / days * w, 1) if d1 != d0 else left + w / 2

        parts.append(f'<polyline class="values" points="{" ".join(f"{x(d)},{y(v)}" for d, v in points)}"/>')
        for d, v in points:
            parts.append(f'<circle class="point" cx="{x(d)}" cy="{y(v)}" r="3.5">'
                         f'<title>{d.strftime("%d.%m.%Y")}: {_num(v)}</title></circle>')
        parts.append(f'<text class="tick" x="{left}" y="{height - 8}">{d0.strftime("%d.%m.%Y")}</text>')
        if d1 != d0:
            parts.append(f'<text class="tick" x="{left + w}" y="{height - 8}" text-anchor="end">'
                         f'{d1.strftime("%d.%m.%Y")}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
