"""Workflow files: load, validate (every rule of WORKFLOWS.md), and build one
``transitions`` machine per workflow version, reused for every project.

A transition's ``approval`` is one role or a sequence of roles (``approval: [head,
curator]``: non-empty, each a known role, no duplicates); either is loaded as
``Transition.steps``, a tuple of roles in order. A request waits for each step in turn
(engine/services/projects.py: ``approve_request``); ``Transition.approval`` is the first
step's role, ``approval_shown`` what the API answers (a string for one role as the file
said it, the list for a sequence)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from transitions import Machine, MachineError

from engine.errors import DataFileError, spec_problems
from engine.policy import ROLES
from engine.text import Text

DEFAULT_ROLES: tuple[str, ...] = ("member", "head")  # a coordinator fires as the member it also is (policy.IMPLIES)


class WorkflowError(DataFileError):
    """A broken workflow file. ``str()`` is ``file: field: message`` lines."""


# --- the file format (structure only; meaning is checked below) -------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class TitleSpec(_Strict):
    ru: str | None = None
    en: str | None = None


class StateSpec(_Strict):
    id: str
    title: TitleSpec | None = None
    sla_days: int | None = None
    wip_limit: int | None = None
    final: bool = False


class TransitionSpec(_Strict):
    trigger: str
    source: str | list[str]
    dest: str
    title: TitleSpec | None = None
    requires: list[str] = []
    approval: str | list[str] | None = None  # one role, or the roles of a sequence of steps
    roles: list[str] | None = None
    comment_required: bool = False


class WorkflowSpec(_Strict):
    id: str
    version: int = 1
    title: TitleSpec | None = None
    initial: str
    idle_days: int | None = None
    default: bool = False  # new projects use this workflow unless they name another
    done: str | None = None  # the final state of a project finished with its results
    measure_from: str | None = None  # entering this state starts "after the change" (result_measured)
    states: list[StateSpec]
    transitions: list[TransitionSpec] = []


# --- the loaded workflow ------------------------------------------------------------

@dataclass(frozen=True)
class State:
    id: str
    title: Text
    sla_days: int | None
    wip_limit: int | None
    final: bool


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    title: Text | None
    requires: tuple[str, ...]
    steps: tuple[str, ...]  # who approves, in order; empty: the move happens at once
    roles: tuple[str, ...]
    comment_required: bool
    sequence: bool = False  # the file named a list (``approval: [head, curator]``)

    @property
    def approval(self) -> str | None:
        """The role of the first approval step (None: no approval)."""
        return self.steps[0] if self.steps else None

    @property
    def approval_shown(self) -> str | list[str] | None:
        """``approval`` as the API shows it: a string for a single step (as the file said
        it), the list for a sequence, null when none is needed."""
        if not self.steps:
            return None
        return list(self.steps) if self.sequence else self.steps[0]

    def title_or_dest(self, workflow: Workflow) -> Text:
        return self.title or workflow.state(self.dest).title


class _Holder:
    """What the shared machine reads and writes; never a SQLModel row (STACK.md)."""

    def __init__(self, state: str):
        self.state = state


@dataclass
class Workflow:
    id: str
    version: int
    title: Text
    initial: str
    idle_days: int | None
    default: bool  # new projects use it unless they name another
    done: str  # the final state of a finished project (reports' "closed"); the others: "cancelled"
    measure_from: str | None  # entering it starts the period result_measured counts measurements in
    states: list[State]
    transitions: list[Transition]
    source_file: str = ""
    machine: Machine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.machine = Machine(
            model=None,
            states=[s.id for s in self.states],
            transitions=[{"trigger": t.trigger, "source": list(t.sources), "dest": t.dest}
                         for t in self.transitions],
            initial=self.initial,
            auto_transitions=False,
            send_event=False,
        )
        self._states = {s.id: s for s in self.states}

    @property
    def key(self) -> tuple[str, int]:
        return (self.id, self.version)

    def state(self, state_id: str) -> State:
        return self._states[state_id]

    def has_state(self, state_id: str) -> bool:
        return state_id in self._states

    def is_final(self, state_id: str) -> bool:
        st = self._states.get(state_id)
        return bool(st and st.final)

    def state_index(self, state_id: str) -> int:
        return [s.id for s in self.states].index(state_id)

    def transitions_from(self, state_id: str) -> list[Transition]:
        return [t for t in self.transitions if state_id in t.sources]

    def find(self, trigger: str, state_id: str) -> Transition | None:
        for t in self.transitions_from(state_id):
            if t.trigger == trigger:
                return t
        return None

    def knows_trigger(self, trigger: str) -> bool:
        return any(t.trigger == trigger for t in self.transitions)

    def is_back_move(self, t: Transition, source: str) -> bool:
        return (not self.is_final(t.dest)
                and self.state_index(t.dest) < self.state_index(source))

    def is_cancellation(self, t: Transition) -> bool:
        """A jump into a final state with nothing to prove: leaving, not finishing."""
        return self.is_final(t.dest) and not t.requires

    def next_forward(self, state_id: str) -> Transition | None:
        """The next stage's transition: the first one out of ``state_id`` in file order
        that is neither a move back nor a cancellation (the project page's next gate,
        the report's next stage)."""
        for t in self.transitions_from(state_id):
            if not self.is_back_move(t, state_id) and not self.is_cancellation(t):
                return t
        return None

    def allowed_from(self, state_id: str, roles: set[str] | frozenset[str]) -> list[Transition]:
        """The transitions out of ``state_id`` that one of ``roles`` may fire."""
        return [t for t in self.transitions_from(state_id) if roles & set(t.roles)]

    def trigger_to(self, source: str, dest: str,
                   roles: set[str] | frozenset[str]) -> Transition | None:
        """Which transition a drag from column ``source`` to column ``dest`` means for
        someone with ``roles``: the first in file order, or None."""
        return next((t for t in self.allowed_from(source, roles) if t.dest == dest), None)

    def fire(self, trigger: str, state_id: str) -> str:
        """Run the trigger on the shared machine; returns the new state.

        Raises MachineError when the graph does not allow it.
        """
        holder = _Holder(state_id)
        self.machine.events[trigger].trigger(holder)
        return holder.state

    def legal_move(self, trigger: str, state_id: str) -> Transition:
        """The transition ``trigger`` makes from ``state_id``, as the shared machine
        decides it: the machine is fired (on a holder, never the row) and is the
        authority; the file's transition only adds gates, roles and titles.

        Raises MachineError when the machine refuses (unknown trigger or not from here).
        """
        if trigger not in self.machine.events:
            raise MachineError(f"unknown trigger {trigger!r}")
        dest = self.fire(trigger, state_id)
        t = self.find(trigger, state_id)
        assert t is not None and t.dest == dest, (trigger, state_id, dest)
        return t

    def active_states(self) -> list[State]:
        return [s for s in self.states if not s.final]


class WorkflowRegistry:
    """All loaded workflows of one app, by (id, version)."""

    def __init__(self, workflows: list[Workflow]):
        self._by_key = {w.key: w for w in workflows}

    def default(self) -> Workflow:
        """The latest version of the workflow marked ``default: true`` (else the only
        one, else the first by id): what a new project follows unless it names another."""
        latest = self.latest_all()
        return next((w for w in latest if w.default), latest[0])

    def get(self, workflow_id: str, version: int | None = None) -> Workflow | None:
        if version is None:
            return self.latest(workflow_id)
        return self._by_key.get((workflow_id, version))

    def latest(self, workflow_id: str) -> Workflow | None:
        versions = [w for (wid, _), w in self._by_key.items() if wid == workflow_id]
        return max(versions, key=lambda w: w.version) if versions else None

    def all(self) -> list[Workflow]:
        return sorted(self._by_key.values(), key=lambda w: (w.id, w.version))

    def done_states(self) -> frozenset[str]:
        """The state ids that mean "finished with results" (each workflow's ``done``)."""
        return frozenset(w.done for w in self._by_key.values())

    def latest_all(self) -> list[Workflow]:
        ids = sorted({wid for wid, _ in self._by_key})
        return [w for i in ids if (w := self.latest(i)) is not None]


# --- loading and the rules ----------------------------------------------------------


def _title(spec: TitleSpec | None) -> Text | None:
    if spec is None or not spec.ru:
        return None
    return Text(spec.ru, spec.en or spec.ru)


def _required_title(spec: TitleSpec | None) -> Text:
    """The title of the workflow or of a state, which validate_spec has required."""
    return cast(Text, _title(spec))


def _steps(approval: str | list[str] | None) -> tuple[str, ...]:
    if approval is None:
        return ()
    return (approval,) if isinstance(approval, str) else tuple(approval)


def _approval_problems(approval: str | list[str] | None) -> list[tuple[str, str]]:
    """``approval``: a role, or a non-empty list of distinct roles (the steps, in order)."""
    if approval is None:
        return []
    if isinstance(approval, list) and not approval:
        return [("approval", "a sequence of approvals needs at least one role")]
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for j, role in enumerate(_steps(approval)):
        fld = "approval" if isinstance(approval, str) else f"approval[{j}]"
        if role not in ROLES:
            out.append((fld, f"unknown role {role!r}"))
        elif role in seen:
            out.append((fld, f"role {role!r} appears twice in the sequence"))
        seen.add(role)
    return out


def validate_spec(raw: Any, filename: str, known_checks: set[str]) -> Workflow:
    """Validate one parsed YAML document; raises WorkflowError listing every problem."""
    problems: list[tuple[str, str, str]] = []

    def bad(fld: str, msg: str) -> None:
        problems.append((filename, fld, msg))

    if not isinstance(raw, dict):
        raise WorkflowError([(filename, "(file)", "the file must be a YAML mapping")])
    try:
        spec = WorkflowSpec.model_validate(raw)
    except ValidationError as exc:
        raise WorkflowError(spec_problems(exc, filename)) from None

    if spec.title is None or not spec.title.ru:
        bad("title.ru", "the workflow needs a Russian title ('ru')")
    state_ids: list[str] = []
    for i, st in enumerate(spec.states):
        if st.id in state_ids:
            bad(f"states[{i}].id", f"duplicate state id {st.id!r}")
        state_ids.append(st.id)
        if st.title is None or not st.title.ru:
            bad(f"states[{i}].title.ru", f"state {st.id!r} needs a Russian title ('ru')")
        for name in ("sla_days", "wip_limit"):
            value = getattr(st, name)
            if value is not None and value <= 0:
                bad(f"states[{i}].{name}", f"must be a positive number (value: {value!r})")
    if not spec.states:
        bad("states", "at least one state is required")
    known = set(state_ids)
    if spec.initial not in known:
        bad("initial", f"names a state that does not exist: {spec.initial!r}")
    if spec.idle_days is not None and spec.idle_days <= 0:
        bad("idle_days", f"must be a positive number (value: {spec.idle_days!r})")
    final_ids = [s.id for s in spec.states if s.final]
    if spec.done is not None and spec.done not in final_ids:
        bad("done", f"must name a final state (value: {spec.done!r})")
    if spec.measure_from is not None and (spec.measure_from not in known or spec.measure_from in final_ids):
        bad("measure_from", f"must name a state that is not final (value: {spec.measure_from!r})")
    if spec.measure_from is None and any("result_measured" in tr.requires for tr in spec.transitions):
        bad("measure_from", "is required when a transition requires result_measured "
                            "(the state whose entry starts the measurement after the change)")

    seen: set[tuple[str, str]] = set()
    for i, tr in enumerate(spec.transitions):
        sources = [tr.source] if isinstance(tr.source, str) else list(tr.source)
        for src in sources:
            if src not in known:
                bad(f"transitions[{i}].source", f"names a state that does not exist: {src!r}")
            if (tr.trigger, src) in seen:
                bad(f"transitions[{i}].trigger",
                    f"duplicate trigger {tr.trigger!r} from state {src!r}")
            seen.add((tr.trigger, src))
        if tr.dest not in known:
            bad(f"transitions[{i}].dest", f"names a state that does not exist: {tr.dest!r}")
        for check in tr.requires:
            if check not in known_checks:
                bad(f"transitions[{i}].requires", f"unknown check {check!r}")
        for fld, msg in _approval_problems(tr.approval):
            bad(f"transitions[{i}].{fld}", msg)
        for role in tr.roles or []:
            if role not in ROLES:
                bad(f"transitions[{i}].roles", f"unknown role {role!r}")
        if tr.title is not None and not tr.title.ru:
            bad(f"transitions[{i}].title.ru", "a transition title needs 'ru'")

    if not problems:
        finals = {s.id for s in spec.states if s.final}
        edges: dict[str, set[str]] = {s: set() for s in known}
        for tr in spec.transitions:
            for src in [tr.source] if isinstance(tr.source, str) else tr.source:
                edges[src].add(tr.dest)
        for i, st in enumerate(spec.states):
            if st.final:
                continue
            seen_states, todo = {st.id}, [st.id]
            while todo:
                for nxt in edges[todo.pop()]:
                    if nxt not in seen_states:
                        seen_states.add(nxt)
                        todo.append(nxt)
            if not seen_states & finals:
                bad(f"states[{i}].id", f"no final state can be reached from {st.id!r}")
    if problems:
        raise WorkflowError(problems)

    return Workflow(
        id=spec.id,
        version=spec.version,
        title=_required_title(spec.title),
        initial=spec.initial,
        idle_days=spec.idle_days,
        default=spec.default,
        done=spec.done or next((s.id for s in spec.states if s.final), spec.initial),
        measure_from=spec.measure_from,
        states=[State(s.id, _required_title(s.title), s.sla_days, s.wip_limit, s.final)
                for s in spec.states],
        transitions=[
            Transition(
                trigger=t.trigger,
                sources=tuple([t.source] if isinstance(t.source, str) else t.source),
                dest=t.dest,
                title=_title(t.title),
                requires=tuple(t.requires),
                steps=_steps(t.approval),
                sequence=isinstance(t.approval, list),
                roles=tuple(t.roles) if t.roles is not None else DEFAULT_ROLES,
                comment_required=t.comment_required,
            )
            for t in spec.transitions
        ],
        source_file=filename,
    )


def load_file(path: Path, known_checks: set[str] | None = None) -> Workflow:
    if known_checks is None:
        from engine.checks import CHECKS
        known_checks = set(CHECKS)
    name = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise WorkflowError([(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkflowError([(name, "(file)", f"cannot be read: {exc}")]) from None
    return validate_spec(raw, name, known_checks)


def load_dir(directory: str | Path) -> WorkflowRegistry:
    """Load every ``*.yaml``/``*.yml`` in a folder; raises WorkflowError listing all problems."""
    folder = Path(directory)
    if not folder.is_dir():
        raise WorkflowError([(str(folder), "(folder)", "workflow folder does not exist")])
    problems: list[tuple[str, str, str]] = []
    loaded: list[Workflow] = []
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        problems.append((str(folder), "(folder)", "no workflow files (*.yaml) found"))
    for path in files:
        try:
            wf = load_file(path)
        except WorkflowError as exc:
            problems.extend(exc.problems)
            continue
        clash = next((w for w in loaded if w.key == wf.key), None)
        if clash:
            problems.append((path.name, "version",
                             f"workflow {wf.id!r} version {wf.version} is also in {clash.source_file}"))
        loaded.append(wf)
    defaults = sorted({w.id for w in loaded if w.default})
    if len(defaults) > 1:
        problems.append((str(folder), "default", f"only one workflow may be the default: {', '.join(defaults)}"))
    if problems:
        raise WorkflowError(problems)
    return WorkflowRegistry(loaded)


__all__ = ["MachineError", "Transition", "Workflow", "WorkflowError", "WorkflowRegistry",
           "load_dir", "load_file", "validate_spec"]
