"""Small server-rendered SVG charts (no JavaScript library, printable): the metric chart
(project page and reports), the cumulative flow diagram and bars (the tower)."""
from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_scientific
from flask import has_request_context
from markupsafe import Markup, escape

_FLOAT_MAX = sys.float_info.max


def vertical_scale(values: list[float], top: float, bottom: float, margin: float = 0.0
                   ) -> tuple[Callable[[float], float], float, float]:
    """``y(v)`` mapping the values onto [top, bottom] pixels (the largest value on top), and
    the values at the two ends. Total for any finite floats: the arithmetic runs on the
    values divided by the largest magnitude, so a span of 1e308 to -1e308 does not
    overflow and 1e-300 does not vanish; equal values sit in the middle. ``margin``: the
    share of the span left free above and below."""
    scale = max(abs(v) for v in values) or 1.0
    lo, hi = min(values) / scale, max(values) / scale
    room = (hi - lo) * margin if margin else 0.0
    if hi == lo:
        room = abs(hi) * margin or 1.0
    lo, hi = lo - room, hi + room

    def y(v: float) -> float:
        return round(top + (hi - v / scale) / (hi - lo) * (bottom - top), 1)

    def real(n: float) -> float:  # the axis end in the values' units, kept finite
        return max(-_FLOAT_MAX, min(_FLOAT_MAX, n * scale))

    return y, real(lo), real(hi)


def _locale() -> Locale:
    """The request's language (Russian outside a request: the reports' default)."""
    if has_request_context():
        from flask_babel import get_locale
        loc = get_locale()
        if loc is not None:
            return loc
    return Locale.parse("ru")


def _num(value: float) -> str:
    """A number in the page's language, six significant digits: «28,7», «1 234,5» (a no-break
    space between thousands) in Russian, "28.7", "1,234.5" in English; beyond 1e15 or below
    1e-4, scientific («1,7E308»)."""
    loc = _locale()
    if value and (abs(value) >= 1e15 or abs(value) < 1e-4):
        return format_scientific(value, "0.#####E0", locale=loc)
    return format_decimal(float(f"{value:.6g}"), "#,##0.######", locale=loc)


def _day(d: date) -> str:
    """A chart's date as the site writes dates: «01.08.2026» in Russian, "8/1/26" in English."""
    return format_date(d, "short", locale=_locale())


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_label(label: str) -> str:
    """«2026-10» as «окт 2026» (Russian) or "Oct 2026"; any other label unchanged."""
    m = _MONTH.match(label)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return label
    return format_date(date(int(m.group(1)), int(m.group(2)), 1), "LLL y", locale=_locale()).replace(".", "")


def metric_chart(metric: dict[str, Any], baseline_label: str, target_label: str,
                 width: int = 680, height: int = 200) -> Markup:
    """THE metric chart, of the project page and of the printable reports: measurements over
    time against the baseline and the target, with axes, in SVG that keeps its meaning in
    black and white (the three lines differ by dash pattern, not only by colour).
    ``metric``: name, baseline, target and measurements ([{measured_on, value}], oldest
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
                         f'<title>{_day(d)}: {_num(v)}</title></circle>')
        parts.append(f'<text class="tick" x="{left}" y="{height - 8}">{_day(d0)}</text>')
        if d1 != d0:
            parts.append(f'<text class="tick" x="{left + w}" y="{height - 8}" text-anchor="end">'
                         f'{_day(d1)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#edc948", "#b07aa1", "#76b7b2", "#9c755f", "#bab0ac"]


def cumulative_flow(flow: dict[str, Any], titles: dict[str, str], width: int = 900,
                    height: int = 300) -> Markup:
    """Stacked areas of projects per state per day (the cumulative flow diagram)."""
    days, states, series = flow.get("days", []), flow.get("states", []), flow.get("series", {})
    if not days or not states or not any(any(v) for v in series.values()):
        return Markup("")
    totals = [sum(series.get(s, [0] * len(days))[i] for s in states) for i in range(len(days))]
    top = max(totals) or 1
    left, bottom, right, topm = 40, 24, 230, 8
    w, h = width - left - right, height - bottom - topm

    def x(i: int) -> float:
        return round(left + (i / max(1, len(days) - 1)) * w, 1)

    def y(v: float) -> float:
        return round(topm + h - v / top * h, 1)

    parts = [f'<svg class="chart cfd" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="CFD">']
    below = [0] * len(days)
    # final states at the bottom, as in a classic CFD
    for n, state in enumerate(reversed(states)):
        values = series.get(state, [0] * len(days))
        upper = [below[i] + values[i] for i in range(len(days))]
        pts = [f"{x(i)},{y(upper[i])}" for i in range(len(days))]
        pts += [f"{x(i)},{y(below[i])}" for i in reversed(range(len(days)))]
        color = PALETTE[n % len(PALETTE)]
        parts.append(f'<polygon points="{" ".join(pts)}" fill="{color}" opacity="0.85">'
                     f'<title>{escape(titles.get(state, state))}</title></polygon>')
        parts.append(f'<rect x="{width - right + 10}" y="{topm + n * 18}" width="12" height="12" fill="{color}"/>'
                     f'<text x="{width - right + 28}" y="{topm + n * 18 + 10}" font-size="11">'
                     f'{escape(titles.get(state, state))}</text>')
        below = upper
    parts.append(f'<text x="4" y="{topm + 10}" font-size="11">{_num(top)}</text>'
                 f'<text x="{left}" y="{height - 6}" font-size="11">{escape(_day_label(days[0]))}</text>'
                 f'<text x="{left + w - 60}" y="{height - 6}" font-size="11">{escape(_day_label(days[-1]))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _day_label(value: Any) -> str:
    try:
        return _day(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def bars(items: list[tuple[str, float]], unit: str = "", width: int = 520, bar_h: int = 18,
         links: list[str] | None = None) -> Markup:
    """Horizontal bars with labels and values (numbers in the page's language; a label
    «2026-10» reads «окт 2026»); with ``links``, each bar (label, bar and value) is a link to
    the list behind it."""
    if not items:
        return Markup("")
    top = max((v for _, v in items), default=0) or 1
    label_w, height = 170, len(items) * (bar_h + 6) + 4
    parts = [f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img">']
    for i, (label, value) in enumerate(items):
        y = 2 + i * (bar_h + 6)
        bw = round((value / top) * (width - label_w - 60), 1)
        bar = (f'<text x="0" y="{y + bar_h - 5}" font-size="12">{escape(month_label(label))}</text>'
               f'<rect x="{label_w}" y="{y}" width="{bw}" height="{bar_h}" fill="#4e79a7"/>'
               f'<text class="value" x="{label_w + bw + 4}" y="{y + bar_h - 5}" font-size="12">'
               f'{_num(value)}{_unit(unit)}</text>')
        if links:
            bar = f'<a href="{escape(links[i])}" data-bar="{i}">{bar}</a>'
        parts.append(bar)
    parts.append("</svg>")
    return Markup("".join(parts))


def _unit(unit: str) -> str:
    """A unit after a number: a narrow no-break space before «%» in Russian («12 %», "12%" in
    English), a no-break space before any other unit."""
    if not unit:
        return ""
    if unit == "%":
        return "\u202f%" if _locale().language == "ru" else "%"
    return "\u00a0" + str(escape(unit))
