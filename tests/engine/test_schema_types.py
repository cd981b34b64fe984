"""engine/schemas.py and engine/programme/schemas.py build their Literal types from
engine/vocab.py at run time and write the same values out under ``if TYPE_CHECKING:`` for
mypy, which cannot read a Literal built at run time. The two must not drift apart: a value
added to a vocabulary but not to the written-out alias would let mypy pass code the API
refuses (or the other way round)."""
from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType
from typing import get_args

import engine.programme.schemas as programme_schemas
import engine.schemas as schemas


def _written_out(module: ModuleType = schemas) -> dict[str, tuple[str, ...]]:
    """alias name -> the strings of its Literal[...] in the ``if TYPE_CHECKING:`` block."""
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    block = next(node for node in tree.body
                 if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
    out: dict[str, tuple[str, ...]] = {}
    for stmt in block.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Subscript):
            (target,) = stmt.targets
            assert isinstance(target, ast.Name)
            elements = stmt.value.slice.elts if isinstance(stmt.value.slice, ast.Tuple) else [stmt.value.slice]
            out[target.id] = tuple(ast.literal_eval(e) for e in elements)
    return out


def test_the_aliases_mypy_reads_are_the_vocabularies():
    written = _written_out()
    assert set(written) == {"OrgKind", "Waste", "ArtefactKind", "RiskStatus", "ActionStatus", "Direction",
                            "MunicipalityKind"}
    for name, values in written.items():
        assert values == get_args(getattr(schemas, name)), name


def test_the_programme_aliases_mypy_reads_are_the_vocabularies():
    written = _written_out(programme_schemas)
    assert set(written) == {"ProgrammeStatus", "TaskStatus", "RoundKind", "PlanItemStatus"}
    for name, values in written.items():
        assert values == get_args(getattr(programme_schemas, name)), name

