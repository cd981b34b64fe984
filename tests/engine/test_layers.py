"""The shape of the code (issue #11): engine/ never imports webui/, and the engine's
services raise instead of rolling back (the unit of work's exit discards)."""
from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.add(node.module or "")
    return found


def test_the_engine_never_imports_the_web_layer():
    offenders = {str(f.relative_to(ENGINE)): sorted(m for m in _imports(f) if m.split(".")[0] == "webui")
                 for f in ENGINE.rglob("*.py")}
    assert {f: mods for f, mods in offenders.items() if mods} == {}


def test_services_never_roll_back_themselves():
    calls = []
    for f in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "rollback"):
                calls.append(f"{f.relative_to(ENGINE)}:{node.lineno}")
    assert calls == []
