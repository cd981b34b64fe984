"""THE metric chart (webui/web/charts.py): one SVG renderer for the project page and the
printable reports. Drawn from the dicts engine.services.queries.project_detail gives."""
from __future__ import annotations

import math
import re

import pytest

from tests.web.conftest import dom
from webui.web.charts import metric_chart


def _metric(baseline=67.0, target=29.0, values=(), name="ВПП") -> dict:
    return {"id": 1, "name": name, "baseline": baseline, "target": target,
            "measurements": [{"measured_on": day, "value": v} for day, v in values]}


def _svg(markup: str):
    return dom(f"<div>{markup}</div>").one("svg", cls="mchart")


def _numbers(markup: str) -> list[str]:
    return re.findall(r'\s(?:x|y|x1|x2|y1|y2|cx|cy)="([^"]*)"', markup) + \
        [n for pts in re.findall(r'points="([^"]*)"', markup) for pair in pts.split() for n in pair.split(",")]


def test_nothing_to_draw_gives_no_chart():
    assert metric_chart(_metric(None, None), "база", "цель") == ""


def test_baseline_target_and_measurements_with_axes_and_labels():
    markup = str(metric_chart(_metric(values=[("2026-08-01", 60.0), ("2026-08-31", 40.0)]), "база", "цель"))
    svg = _svg(markup)
    assert svg["aria-label"] == "ВПП"
    assert len(svg.find_all("line", cls="axis")) == 2
    assert svg.one("line", cls="baseline") and svg.one("line", cls="target")
    assert svg.one("text", cls="baseline-label").text == "база: 67"
    assert svg.one("text", cls="target-label").text == "цель: 29"
    points = svg.find_all("circle", cls="point")
    assert [p.text for p in points] == ["01.08.2026: 60", "31.08.2026: 40"]
    # time runs left to right over the plot (64 .. 680-120), larger values higher up
    assert (float(points[0]["cx"]), float(points[1]["cx"])) == (64.0, 560.0)
    assert float(points[0]["cy"]) < float(points[1]["cy"])
    ticks = [t.text for t in svg.find_all("text", cls="tick")]
    assert ticks[-2:] == ["01.08.2026", "31.08.2026"]


def test_a_single_measurement_sits_in_the_middle_and_has_one_date():
    svg = _svg(str(metric_chart(_metric(values=[("2026-08-01", 50.0)]), "b", "t")))
    assert float(svg.one("circle", cls="point")["cx"]) == 64 + (680 - 64 - 120) / 2
    assert [t.text for t in svg.find_all("text", cls="tick")][-1] == "01.08.2026"


def test_only_a_baseline_draws_its_line_and_no_series():
    svg = _svg(str(metric_chart(_metric(target=None), "b", "t")))
    assert svg.one("line", cls="baseline") and svg.find("line", cls="target") is None
    assert svg.find("polyline") is None and svg.find("circle") is None


@pytest.mark.parametrize("values", [(1e20, 1e20, 1e20), (1.7e308, -1.7e308, 0.0), (1e-300, 2e-300, 3e-300)],
                         ids=["equal-huge", "full-range", "tiny"])
def test_any_finite_values_give_finite_coordinates(values):
    baseline, target, value = values
    markup = str(metric_chart(_metric(baseline, target, [("2026-08-01", value), ("2026-09-01", value)]),
                              "b", "t"))
    numbers = _numbers(markup)
    assert numbers and all(math.isfinite(float(n)) for n in numbers), numbers


def test_names_and_labels_are_escaped():
    markup = str(metric_chart(_metric(name='<b>"x"</b>'), "<база>", "цель"))
    assert "<b>" not in markup and "&lt;база&gt;" in markup
