"""The readiness questionnaire: a YAML file in ``questionnaires/`` (PROGRAMME.md), validated
like a workflow file (``file: field: message`` lines via ``errors.DataFileError``):
sections of items scored 1–5 with a descriptor per score, and the difficulties /
resources / deficits / needs questions (free text, or a pick list with ``options``)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import DataFileError, spec_problems
from engine.text import Text

QUESTIONNAIRES_DIR = Path(__file__).resolve().parent.parent.parent / "questionnaires"
QUESTION_IDS = ("difficulties", "resources", "deficits", "needs")
SCORES = (1, 2, 3, 4, 5)


class QuestionnaireError(DataFileError):
    """A broken questionnaire file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _TitleSpec(_Strict):
    ru: str = ""
    en: str | None = None


class _ItemSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,49}$")
    text: str
    descriptors: dict[int, str]


class _SectionSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,49}$")
    title: _TitleSpec
    items: list[_ItemSpec]


class _QuestionSpec(_Strict):
    id: str
    text: _TitleSpec
    options: list[str] | None = None


class _QuestionnaireSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,49}$")
    version: int = Field(ge=1)
    title: _TitleSpec
    sections: list[_SectionSpec]
    questions: list[_QuestionSpec] = []


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    descriptors: dict[int, str]


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Question:
    id: str
    text: Text
    options: tuple[str, ...] | None


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: int
    title: Text
    sections: tuple[Section, ...]
    questions: tuple[Question, ...]
    source_file: str = ""

    @functools.cached_property
    def item_section(self) -> dict[str, str]:
        """item id -> its section id."""
        return {i.id: s.id for s in self.sections for i in s.items}

    def section_means(self, scores: dict[str, Any]) -> dict[str, float | None]:
        """Each section's mean score (one decimal), None when none of its items is scored:
        stored with the answer (``readiness_answer.section_means``) when it is saved, so the
        programme tower reads five numbers an answer instead of every score."""
        out: dict[str, float | None] = {}
        for sec in self.sections:
            vals = [scores[i.id] for i in sec.items if isinstance(scores.get(i.id), int)]
            out[sec.id] = round(sum(vals) / len(vals), 1) if vals else None
        return out

    def as_dict(self, locale: str = "ru") -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "title": self.title.get(locale),
                "sections": [{"id": s.id, "title": s.title.get(locale),
                              "items": [{"id": i.id, "text": i.text,
                                         "descriptors": {str(k): v for k, v in sorted(i.descriptors.items())}}
                                        for i in s.items]} for s in self.sections],
                "questions": [{"id": q.id, "text": q.text.get(locale),
                               "options": list(q.options) if q.options is not None else None}
                              for q in self.questions]}



def validate_spec(raw: Any, filename: str) -> Questionnaire:
    """Validate one parsed YAML document; QuestionnaireError lists every problem."""
    problems: list[tuple[str, str, str]] = []

    def bad(fld: str, msg: str) -> None:
        problems.append((filename, fld, msg))

    if not isinstance(raw, dict):
        raise QuestionnaireError([(filename, "(file)", "the file must be a YAML mapping")])
    try:
        spec = _QuestionnaireSpec.model_validate(raw)
    except ValidationError as exc:
        raise QuestionnaireError(spec_problems(exc, filename)) from None
    if not spec.title.ru:
        bad("title.ru", "the questionnaire needs a Russian title ('ru')")
    if not spec.sections:
        bad("sections", "at least one section is required")
    seen_sections: set[str] = set()
    seen_items: set[str] = set()
    for i, sec in enumerate(spec.sections):
        if sec.id in seen_sections:
            bad(f"sections[{i}].id", f"duplicate section id {sec.id!r}")
        seen_sections.add(sec.id)
        if not sec.title.ru:
            bad(f"sections[{i}].title.ru", f"section {sec.id!r} needs a Russian title ('ru')")
        if not sec.items:
            bad(f"sections[{i}].items", f"section {sec.id!r} needs at least one item")
        for j, item in enumerate(sec.items):
            where = f"sections[{i}].items[{j}]"
            if item.id in seen_items:
                bad(f"{where}.id", f"duplicate item id {item.id!r}")
            seen_items.add(item.id)
            if not item.text.strip():
                bad(f"{where}.text", "must not be empty")
            if set(item.descriptors) != set(SCORES):
                bad(f"{where}.descriptors", "needs a descriptor for each score 1, 2, 3, 4 and 5 "
                                            f"(has: {sorted(item.descriptors)})")
            for score, text in item.descriptors.items():
                if not str(text).strip():
                    bad(f"{where}.descriptors.{score}", "must not be empty")
    seen_q: set[str] = set()
    for k, q in enumerate(spec.questions):
        if q.id not in QUESTION_IDS:
            bad(f"questions[{k}].id", f"must be one of {', '.join(QUESTION_IDS)} (value: {q.id!r})")
        if q.id in seen_q:
            bad(f"questions[{k}].id", f"duplicate question {q.id!r}")
        seen_q.add(q.id)
        if not q.text.ru:
            bad(f"questions[{k}].text.ru", "needs a Russian text ('ru')")
        if q.options is not None and not q.options:
            bad(f"questions[{k}].options", "an empty pick list; leave it out for free text")
    if problems:
        raise QuestionnaireError(problems)
    return Questionnaire(
        id=spec.id, version=spec.version, title=Text(spec.title.ru, spec.title.en or spec.title.ru),
        sections=tuple(Section(s.id, Text(s.title.ru, s.title.en or s.title.ru),
                               tuple(Item(i.id, i.text, dict(i.descriptors)) for i in s.items))
                       for s in spec.sections),
        questions=tuple(Question(q.id, Text(q.text.ru, q.text.en or q.text.ru),
                                 tuple(q.options) if q.options is not None else None)
                        for q in spec.questions),
        source_file=filename)


def load_file(path: Path) -> Questionnaire:
    name = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise QuestionnaireError([(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionnaireError([(name, "(file)", f"cannot be read: {exc}")]) from None
    return validate_spec(raw, name)


def load_dir(directory: str | Path) -> dict[tuple[str, int], Questionnaire]:
    """Every questionnaire of a folder by (id, version); QuestionnaireError lists all problems."""
    folder = Path(directory)
    if not folder.is_dir():
        raise QuestionnaireError([(str(folder), "(folder)", "questionnaire folder does not exist")])
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    problems: list[tuple[str, str, str]] = []
    if not files:
        problems.append((str(folder), "(folder)", "no questionnaire files (*.yaml) found"))
    loaded: dict[tuple[str, int], Questionnaire] = {}
    for path in files:
        try:
            q = load_file(path)
        except QuestionnaireError as exc:
            problems.extend(exc.problems)
            continue
        if (q.id, q.version) in loaded:
            problems.append((path.name, "version", f"questionnaire {q.id!r} version {q.version} "
                                                   f"is also in {loaded[(q.id, q.version)].source_file}"))
        loaded[(q.id, q.version)] = q
    if problems:
        raise QuestionnaireError(problems)
    return loaded


@functools.lru_cache(maxsize=1)
def _registry() -> dict[tuple[str, int], Questionnaire]:
    return load_dir(QUESTIONNAIRES_DIR)


def get(questionnaire_id: str, version: int | None = None) -> Questionnaire | None:
    """A questionnaire of the repository's folder (its latest version unless one is named)."""
    reg = _registry()
    if version is not None:
        return reg.get((questionnaire_id, version))
    versions = [q for (qid, _), q in reg.items() if qid == questionnaire_id]
    return max(versions, key=lambda q: q.version) if versions else None
