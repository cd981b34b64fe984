"""The demo's Russian content, read from ``engine/demo/data/*.yaml`` and validated like a
workflow file (engine.workflow): a broken file raises DemoDataError listing every problem
as ``file: field: message``. Data only; the demo's behaviour is in the other modules."""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from engine.errors import DataFileError, spec_problems
from engine.practices.categories import category_ids

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES = ("region.yaml", "names.yaml", "processes.yaml", "story.yaml")
OrgKind = Literal["school", "kindergarten", "college", "other"]
Number = int | float  # kept as written: 67 stays an int, 72.4 a float


class DemoDataError(DataFileError):
    """A broken demo data file. ``str()`` is ``file: field: message`` lines."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricT(_Strict):
    name: str
    unit: str
    direction: Literal["decrease", "increase"]
    baseline: Number
    target: Number
    decimals: int = 0


class RiskT(_Strict):
    title: str
    probability: int
    impact: int
    mitigation: str


class ProcessT(_Strict):
    key: str
    kinds: tuple[OrgKind, ...]
    title: str
    problem: str
    goal: str
    start: str
    end: str
    owner: str
    metrics: tuple[MetricT, ...]
    problems: tuple[tuple[str, str], ...]  # (waste, description)
    actions: tuple[str, ...]
    risks: tuple[RiskT, ...]
    standard: str
    hours: Number  # planned hours saved per year


class Featured(_Strict):
    """A project the default demo always has (the published results of DOMAIN.md)."""
    organization: str
    process: str
    state: str
    last_values: tuple[Number, ...] | None = None  # of the last measurement


class RegionFile(_Strict):
    region_name: str
    region_code: str
    password: str
    admin_email: str
    curator_email: str
    head_email: str
    member_email: str
    admin_name: str
    curator_name: str
    demo_head_name: str
    demo_member_name: str
    demo_school: str
    municipalities: list[tuple[Literal["city", "district"], str]]  # (kind, name)
    organizations: list[tuple[str, OrgKind, str]]  # (municipality, kind, name)


class NamesFile(_Strict):
    kindergarten_names: list[str]
    other_org_names: list[str]
    college_names: list[str]
    municipality_roots: list[str]
    municipality_prefixes: list[str]
    surnames_f: list[str]
    first_f: list[str]
    first_m: list[str]
    patronymics: list[tuple[str, str]]  # (male, female)
    head_title: dict[OrgKind, str]
    member_roles: dict[OrgKind, list[str]]
    team_roles: list[str]


class ProcessesFile(_Strict):
    processes: list[ProcessT]
    generic_risks: list[RiskT]
    critical_risks: list[RiskT]


class StoryFile(_Strict):
    curator_comments: list[str]
    head_comments: list[str]
    member_comments: list[str]
    approve_comments: list[str | None]
    reject_comments: dict[str, list[str]]
    request_comments: dict[str, str]
    back_comments: dict[str, str]
    cancel_reasons: list[str]
    revision_titles: dict[str, str]
    closed_comment: str
    # «Где ещё это применимо и при каких условиях?»: the demo practices' scaling proposal
    scaling_proposal: str = ""
    featured: list[Featured]
    category_words: dict[str, str]  # title word stem -> practice category, first match wins


SPECS: dict[str, type[_Strict]] = {"region.yaml": RegionFile, "names.yaml": NamesFile,
                                   "processes.yaml": ProcessesFile, "story.yaml": StoryFile}


class DemoContent(BaseModel):
    """All four files, one object: ``content().region.municipalities`` ..."""
    model_config = ConfigDict(frozen=True)
    region: RegionFile
    names: NamesFile
    processes: ProcessesFile
    story: StoryFile



def _read(path: Path) -> Any:
    name = path.name
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise DemoDataError([(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DemoDataError([(name, "(file)", f"cannot be read: {exc}")]) from None


def validate(raw: Any, filename: str) -> _Strict:
    """Validate one parsed demo file; raises DemoDataError listing every problem."""
    spec = SPECS[filename]
    if not isinstance(raw, dict):
        raise DemoDataError([(filename, "(file)", "the file must be a YAML mapping")])
    try:
        return spec.model_validate(raw)
    except ValidationError as exc:
        raise DemoDataError(spec_problems(exc, filename)) from None


def _check(c: DemoContent) -> list[tuple[str, str, str]]:
    """What the structure cannot say: names that must point at each other."""
    problems: list[tuple[str, str, str]] = []
    muns = {name for _kind, name in c.region.municipalities}
    orgs = {name for _mun, _kind, name in c.region.organizations}
    for i, (mun, _kind, _name) in enumerate(c.region.organizations):
        if mun not in muns:
            problems.append(("region.yaml", f"organizations[{i}][0]", f"names no municipality: {mun!r}"))
    if c.region.demo_school not in orgs:
        problems.append(("region.yaml", "demo_school", f"names no organisation: {c.region.demo_school!r}"))
    keys = {p.key for p in c.processes.processes}
    for i, f in enumerate(c.story.featured):
        if f.organization not in orgs:
            problems.append(("story.yaml", f"featured[{i}].organization",
                             f"names no organisation: {f.organization!r}"))
        if f.process not in keys:
            problems.append(("story.yaml", f"featured[{i}].process", f"names no process: {f.process!r}"))
    known = set(category_ids())
    for word, category in c.story.category_words.items():
        if category not in known:
            problems.append(("story.yaml", f"category_words.{word}", f"names no practice category: {category!r}"))
    return problems


def load_dir(directory: str | Path = DATA_DIR) -> DemoContent:
    """Read and validate the four demo files of a folder; raises DemoDataError listing
    every problem of every file."""
    folder = Path(directory)
    parts: dict[str, Any] = {}
    problems: list[tuple[str, str, str]] = []
    for filename in FILES:
        try:
            parts[filename.removesuffix(".yaml")] = validate(_read(folder / filename), filename)
        except DemoDataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DemoDataError(problems)
    c = DemoContent(**parts)
    if problems := _check(c):
        raise DemoDataError(problems)
    return c


@cache
def content() -> DemoContent:
    """The packaged demo content, read once."""
    return load_dir(DATA_DIR)
