"""The demo's Russian content (engine/demo/data/*.yaml) is validated on load like a
workflow file: every problem of every file as ``file: field: message``."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from engine.demo.content import DATA_DIR, FILES, DemoDataError, content, load_dir


@pytest.fixture
def data(tmp_path: Path) -> Path:
    for name in FILES:
        shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path


def _edit(folder: Path, name: str, change: dict) -> None:
    raw = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
    raw.update(change)
    (folder / name).write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def test_the_packaged_content_loads() -> None:
    c = content()
    assert len(c.region.municipalities) == 27
    assert c.region.demo_school in {name for _mun, _kind, name in c.region.organizations}
    assert {p.key for p in c.processes.processes} >= {f.process for f in c.story.featured}


def test_a_broken_file_names_file_field_and_problem(data: Path) -> None:
    raw = yaml.safe_load((data / "processes.yaml").read_text(encoding="utf-8"))
    raw["processes"][0]["metrics"][0]["direction"] = "sideways"
    del raw["processes"][1]["goal"]
    raw["processes"][2]["colour"] = "red"
    (data / "processes.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    _edit(data, "region.yaml", {"municipalities": [["city", "г. Орёл"], ["village", "Нигде"]]})
    with pytest.raises(DemoDataError) as exc:
        load_dir(data)
    lines = str(exc.value).splitlines()
    assert any(line.startswith("processes.yaml: processes[0].metrics[0].direction: ") and "sideways" in line
               for line in lines)
    assert "processes.yaml: processes[1].goal: required key is missing" in lines
    assert "processes.yaml: processes[2].colour: unknown key 'colour'" in lines
    assert any(line.startswith("region.yaml: municipalities[1][0]: ") for line in lines)


def test_names_that_point_nowhere_are_reported(data: Path) -> None:
    _edit(data, "region.yaml", {"demo_school": "МБОУ «Школа, которой нет»"})
    raw = yaml.safe_load((data / "story.yaml").read_text(encoding="utf-8"))
    raw["featured"][0]["process"] = "no_such_process"
    raw["category_words"]["питани"] = "cooking"
    (data / "story.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DemoDataError) as exc:
        load_dir(data)
    assert str(exc.value).splitlines() == [
        "region.yaml: demo_school: names no organisation: 'МБОУ «Школа, которой нет»'",
        "story.yaml: featured[0].process: names no process: 'no_such_process'",
        "story.yaml: category_words.питани: names no practice category: 'cooking'",
    ]


def test_not_yaml_and_a_missing_file(data: Path) -> None:
    (data / "names.yaml").write_text("surnames_f: [unclosed\n", encoding="utf-8")
    (data / "story.yaml").unlink()
    with pytest.raises(DemoDataError) as exc:
        load_dir(data)
    lines = str(exc.value).splitlines()
    assert any(line.startswith("names.yaml: line ") and "not valid YAML" in line for line in lines)
    assert any(line.startswith("story.yaml: (file): cannot be read") for line in lines)
