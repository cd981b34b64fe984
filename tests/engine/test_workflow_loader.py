"""The workflow loader (WORKFLOWS.md "Rules the loader enforces"): one test per rule, each
error naming the file, the field and (where there is one) the value; the CLI and the
web app's start-up refuse a broken folder without a traceback; one machine per version."""
from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, inspect

from engine.db import REPO_ROOT
from engine.workflow import MachineError, Workflow, WorkflowError, load_dir, load_file

SHIPPED = REPO_ROOT / "workflows"
FILE = "psr.yaml"


@pytest.fixture(scope="module")
def shipped_spec() -> dict[str, Any]:
    return yaml.safe_load((SHIPPED / FILE).read_text(encoding="utf-8"))


@pytest.fixture
def spec(shipped_spec: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of workflows/psr.yaml as a dict, to break in one place."""
    return copy.deepcopy(shipped_spec)


@pytest.fixture
def write(tmp_path: Path):
    """``write(spec)`` dumps a workflow into its own folder and returns the file."""
    def write_spec(data: Any, name: str = FILE) -> Path:
        folder = tmp_path / "workflows"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path
    return write_spec


def load_error(path: Path) -> WorkflowError:
    with pytest.raises(WorkflowError) as info:
        load_file(path)
    return info.value


def assert_names(error: WorkflowError, field: str, value: str | None = None) -> str:
    """The error has a line ``psr.yaml: <field>: ...`` that mentions the value."""
    lines = str(error).splitlines()
    matching = [line for line in lines if line.startswith(f"{FILE}: {field}: ")]
    assert matching, f"no line for {FILE}: {field}: in {lines}"
    if value is not None:
        assert any(value in line for line in matching), f"{value!r} not named in {matching}"
    assert (FILE, field) in [(f, fld) for f, fld, _ in error.problems]
    return matching[0]


def state_index(spec: dict[str, Any], state_id: str) -> int:
    return next(i for i, s in enumerate(spec["states"]) if s["id"] == state_id)


def transition_index(spec: dict[str, Any], trigger: str) -> int:
    return next(i for i, t in enumerate(spec["transitions"]) if t["trigger"] == trigger)


# --- the shipped file ------------------------------------------------------------------

def test_the_shipped_psr_workflow_loads():
    wf = load_file(SHIPPED / FILE)
    assert (wf.id, wf.version, wf.initial) == ("psr", 1, "diagnose")
    assert [s.id for s in wf.states] == ["diagnose", "target", "implement", "standardise",
                                         "sustain", "closed", "cancelled"]
    assert {s.id for s in wf.states if s.final} == {"closed", "cancelled"}
    assert wf.find("to_target", "diagnose").requires == (
        "current_state_mapped", "problems_listed", "baselines_recorded")
    assert wf.title.ru == "ПСР-проект"


def test_an_unchanged_copy_of_the_shipped_file_loads(spec, write):
    assert load_file(write(spec)).key == ("psr", 1)


# --- one test per rule -------------------------------------------------------------------

def test_an_unknown_top_level_key_is_refused(spec, write):
    spec["colour"] = "red"
    assert_names(load_error(write(spec)), "colour", "colour")


def test_an_unknown_key_in_a_state_is_refused(spec, write):
    spec["states"][1]["deadline"] = 10
    assert_names(load_error(write(spec)), "states[1].deadline", "deadline")


def test_an_unknown_key_in_a_transition_is_refused(spec, write):
    spec["transitions"][0]["approver"] = "head"
    assert_names(load_error(write(spec)), "transitions[0].approver", "approver")


@pytest.mark.parametrize("key", ["id", "initial", "states"])
def test_a_missing_required_key_is_refused(spec, write, key):
    del spec[key]
    line = assert_names(load_error(write(spec)), key)
    assert "missing" in line


def test_a_duplicate_state_id_is_refused(spec, write):
    spec["states"].append({"id": "target", "title": {"ru": "Ещё раз цель"}})
    assert_names(load_error(write(spec)), f"states[{len(spec['states']) - 1}].id", "'target'")


def test_a_duplicate_trigger_from_the_same_source_is_refused(spec, write):
    spec["transitions"].append({"trigger": "to_target", "source": "diagnose", "dest": "cancelled"})
    line = assert_names(load_error(write(spec)), f"transitions[{len(spec['transitions']) - 1}].trigger",
                        "'to_target'")
    assert "'diagnose'" in line


def test_the_same_trigger_from_different_sources_is_allowed(spec, write):
    spec["transitions"].append({"trigger": "to_target", "source": "implement", "dest": "target"})
    assert load_file(write(spec)).find("to_target", "implement").dest == "target"


def test_an_initial_state_that_does_not_exist_is_refused(spec, write):
    spec["initial"] = "nowhere"
    assert_names(load_error(write(spec)), "initial", "'nowhere'")


def test_a_source_that_does_not_exist_is_refused(spec, write):
    spec["transitions"][transition_index(spec, "to_implement")]["source"] = "planning"
    assert_names(load_error(write(spec)), f"transitions[{transition_index(spec, 'to_implement')}].source",
                 "'planning'")


def test_a_source_list_naming_a_missing_state_is_refused(spec, write):
    i = transition_index(spec, "cancel")
    spec["transitions"][i]["source"] = ["diagnose", "archived"]
    assert_names(load_error(write(spec)), f"transitions[{i}].source", "'archived'")


def test_a_dest_that_does_not_exist_is_refused(spec, write):
    spec["transitions"][0]["dest"] = "review"
    assert_names(load_error(write(spec)), "transitions[0].dest", "'review'")


def test_requires_naming_an_unregistered_check_is_refused(spec, write):
    spec["transitions"][0]["requires"] = ["problems_listed", "moon_is_full"]
    assert_names(load_error(write(spec)), "transitions[0].requires", "'moon_is_full'")


def test_approval_naming_a_missing_role_is_refused(spec, write):
    spec["transitions"][0]["approval"] = "director"
    assert_names(load_error(write(spec)), "transitions[0].approval", "'director'")


def test_roles_naming_a_missing_role_is_refused(spec, write):
    i = transition_index(spec, "back_to_diagnose")
    spec["transitions"][i]["roles"] = ["head", "inspector"]
    assert_names(load_error(write(spec)), f"transitions[{i}].roles", "'inspector'")


def test_a_non_final_state_with_no_way_to_a_final_state_is_refused(spec, write):
    spec["states"].insert(1, {"id": "limbo", "title": {"ru": "Ожидание"}})
    spec["transitions"].append({"trigger": "to_limbo", "source": "diagnose", "dest": "limbo"})
    assert_names(load_error(write(spec)), "states[1].id", "'limbo'")


def test_a_cycle_with_no_exit_to_a_final_state_is_refused(spec, write):
    spec["states"][1:1] = [{"id": "ping", "title": {"ru": "Пинг"}}, {"id": "pong", "title": {"ru": "Понг"}}]
    spec["transitions"] += [{"trigger": "to_ping", "source": "diagnose", "dest": "ping"},
                            {"trigger": "to_pong", "source": "ping", "dest": "pong"},
                            {"trigger": "to_ping", "source": "pong", "dest": "ping"}]
    error = load_error(write(spec))
    assert_names(error, "states[1].id", "'ping'")
    assert_names(error, "states[2].id", "'pong'")


def test_a_state_without_a_title_is_refused(spec, write):
    i = state_index(spec, "implement")
    del spec["states"][i]["title"]
    assert_names(load_error(write(spec)), f"states[{i}].title.ru", "'implement'")


def test_a_state_with_only_an_english_title_is_refused(spec, write):
    i = state_index(spec, "sustain")
    spec["states"][i]["title"] = {"en": "Sustain"}
    assert_names(load_error(write(spec)), f"states[{i}].title.ru", "'sustain'")


@pytest.mark.parametrize("title", [None, {"en": "PSR project"}, {"ru": ""}], ids=["absent", "english-only", "empty"])
def test_the_workflow_without_a_russian_title_is_refused(spec, write, title):
    if title is None:
        del spec["title"]
    else:
        spec["title"] = title
    assert_names(load_error(write(spec)), "title.ru")


def test_a_transition_title_without_ru_is_refused(spec, write):
    spec["transitions"][0]["title"] = {"en": "Diagnosis done"}
    assert_names(load_error(write(spec)), "transitions[0].title.ru")


def test_a_transition_without_a_title_is_allowed(spec, write):
    del spec["transitions"][0]["title"]
    wf = load_file(write(spec))
    assert wf.find("to_target", "diagnose").title is None
    assert wf.find("to_target", "diagnose").title_or_dest(wf).ru == "Целевое состояние"


def test_invalid_yaml_is_refused_with_the_line(write):
    path = write({})
    path.write_text("id: psr\nstates: [diagnose\ninitial: diagnose\n", encoding="utf-8")
    error = load_error(path)
    assert len(error.problems) == 1
    file, field, message = error.problems[0]
    assert file == FILE and field.startswith("line ")
    assert "not valid YAML" in message
    assert str(error).startswith(f"{FILE}: line ")


def test_a_file_that_is_not_a_mapping_is_refused(write):
    path = write(["id", "psr"])
    assert str(load_error(path)).startswith(f"{FILE}: (file): ")


def test_a_value_of_the_wrong_type_is_refused_with_the_value(spec, write):
    spec["states"][0]["sla_days"] = "a month"
    assert_names(load_error(write(spec)), "states[0].sla_days", "'a month'")


def test_every_problem_of_a_file_is_listed_at_once(spec, write):
    spec["initial"] = "nowhere"
    spec["transitions"][0]["approval"] = "director"
    error = load_error(write(spec))
    assert_names(error, "initial", "'nowhere'")
    assert_names(error, "transitions[0].approval", "'director'")


def test_load_dir_names_the_broken_file_among_good_ones(spec, write):
    write(spec, "psr.yaml")
    broken = copy.deepcopy(spec)
    broken.update(id="kaizen", initial="start")
    write(broken, "kaizen.yaml")
    with pytest.raises(WorkflowError) as info:
        load_dir(write(spec).parent)
    assert [(f, fld) for f, fld, _ in info.value.problems] == [("kaizen.yaml", "initial")]


def test_the_same_workflow_version_in_two_files_is_refused(spec, write):
    write(spec, "psr.yaml")
    write(spec, "psr_copy.yaml")
    with pytest.raises(WorkflowError) as info:
        load_dir(write(spec).parent)
    assert "psr_copy.yaml: version: " in str(info.value)


# --- the console script -------------------------------------------------------------------

def leanschool(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("leanschool")
    assert script.exists(), f"console script not installed next to {sys.executable}"
    env = {k: v for k, v in os.environ.items() if k not in ("WORKFLOWS_DIR", "LEANSCHOOL_DEBUG")}
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=60, env=env)


def test_cli_workflows_check_refuses_a_broken_folder_without_a_traceback(spec, write):
    spec["transitions"][0]["requires"] = ["moon_is_full"]
    path = write(spec)
    result = leanschool("workflows", "check", str(path.parent))
    assert result.returncode == 1
    assert f"{FILE}: transitions[0].requires: unknown check 'moon_is_full'" in result.stderr.splitlines()
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_workflows_check_accepts_the_shipped_folder():
    result = leanschool("workflows", "check", str(SHIPPED))
    assert result.returncode == 0, result.stderr
    assert "psr" in result.stdout
    assert "to_implement: approval in steps: head -> curator" in result.stdout  # psr-defended.yaml
    assert result.stderr == ""


# --- the web app's start-up -------------------------------------------------------------------

def test_create_app_with_a_broken_workflow_stops_and_writes_nothing(spec, write, tmp_path):
    import webui

    spec["initial"] = "nowhere"
    folder = write(spec).parent
    db_file = tmp_path / "app.db"
    url = f"sqlite:///{db_file}"
    with pytest.raises(SystemExit) as info:
        webui.create_app({"DATABASE_URL": url, "WORKFLOWS_DIR": str(folder),
                          "SECRET_KEY": "test", "TESTING": True})
    assert isinstance(info.value, webui.StartupError)
    assert f"{FILE}: initial: names a state that does not exist: 'nowhere'" in str(info.value.code)
    if db_file.exists():  # not even the migrations ran
        eng = create_engine(url)
        try:
            assert inspect(eng).get_table_names() == []
        finally:
            eng.dispose()


def test_create_app_with_a_broken_workflow_leaves_an_existing_database_as_it_was(spec, write, db_url, row_counts,
                                                                                  project):
    import webui

    spec["transitions"][0]["requires"] = ["moon_is_full"]
    before = row_counts()
    with pytest.raises(webui.StartupError) as info:
        webui.create_app({"DATABASE_URL": db_url, "WORKFLOWS_DIR": str(write(spec).parent),
                          "SECRET_KEY": "test", "TESTING": True})
    assert f"{FILE}: transitions[0].requires: unknown check 'moon_is_full'" in str(info.value.code)
    assert "Traceback" not in str(info.value.code)
    assert row_counts() == before


# --- one machine per workflow version -------------------------------------------------------

def test_one_machine_per_workflow_version_is_built_once_and_reused(store, flow, project, head_of_school,
                                                                   monkeypatch):
    import engine.workflow as workflow_module

    wf: Workflow = store.workflows.get("psr", 1)
    machine = wf.machine
    built: list[Any] = []

    class CountingMachine(workflow_module.Machine):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any):
            built.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(workflow_module, "Machine", CountingMachine)
    flow.advance(project.id, "implement")
    flow.fire(head_of_school.actor, project.id, "back_to_target", comment="Уточнить цели")

    assert flow.reload(project.id).state == "target"
    assert built == [], "a Machine was built per request"
    assert store.workflows.get("psr", 1).machine is machine
    assert store.workflows.get("psr").machine is machine
    assert machine.models == [], "the shared machine must not keep the projects it moved"


def test_workflows_loaded_again_get_their_own_machines():
    first, second = load_dir(SHIPPED), load_dir(SHIPPED)
    assert first.get("psr", 1).machine is not second.get("psr", 1).machine


def test_a_new_version_of_a_workflow_gets_its_own_machine(spec, write, tmp_path):
    write(spec, "psr.yaml")
    v2 = copy.deepcopy(spec)
    v2["version"] = 2
    write(v2, "psr_v2.yaml")
    registry = load_dir(tmp_path / "workflows")
    assert registry.get("psr", 1).machine is not registry.get("psr", 2).machine
    assert registry.latest("psr").version == 2


# --- questions the pages and the services ask of a workflow ------------------------------

def test_next_forward_is_the_next_stage_never_a_back_move_or_a_cancellation():
    wf = load_file(SHIPPED / FILE)
    assert [wf.next_forward(s.id).trigger if wf.next_forward(s.id) else None for s in wf.states] == [
        "to_target", "to_implement", "to_standardise", "to_sustain", "close", None, None]


def test_next_forward_skips_a_cancellation_listed_first(spec, write):
    cancel = spec["transitions"].pop(transition_index(spec, "cancel"))
    spec["transitions"].insert(0, cancel)
    wf = load_file(write(spec))
    assert wf.next_forward("diagnose").trigger == "to_target"


def test_trigger_to_picks_the_transition_a_drag_between_columns_means():
    wf = load_file(SHIPPED / FILE)
    all_roles = {r for t in wf.transitions for r in t.roles}
    assert wf.trigger_to("diagnose", "target", all_roles).trigger == "to_target"
    assert wf.trigger_to("target", "diagnose", all_roles).trigger == "back_to_diagnose"
    assert wf.trigger_to("diagnose", "implement", all_roles) is None  # no such edge
    allowed = set(wf.find("to_target", "diagnose").roles)
    assert wf.trigger_to("diagnose", "target", {"nobody"} | (all_roles - allowed)) is None


def test_the_shared_machine_decides_which_move_is_legal():
    wf = load_file(SHIPPED / FILE)
    t = wf.legal_move("to_target", "diagnose")
    assert (t.trigger, t.dest) == ("to_target", "target")
    with pytest.raises(MachineError):
        wf.legal_move("to_implement", "diagnose")  # a known trigger, not from here
    with pytest.raises(MachineError):
        wf.legal_move("fly_away", "diagnose")  # unknown
    assert wf.machine.models == []


# --- what the workflow says about its states (no state names in Python) ----------------------------

def test_the_shipped_workflow_names_its_done_state_and_where_measuring_starts():
    wf = load_file(SHIPPED / FILE)
    assert (wf.done, wf.measure_from, wf.default) == ("closed", "implement", True)
    assert load_dir(SHIPPED).done_states() == {"closed"}


def test_done_must_name_a_final_state(spec, write):
    spec["done"] = "sustain"
    assert_names(load_error(write(spec)), "done", "sustain")


def test_done_defaults_to_the_first_final_state(spec, write):
    del spec["done"]
    assert load_file(write(spec)).done == "closed"


def test_measure_from_must_name_a_state_that_is_not_final(spec, write):
    spec["measure_from"] = "cancelled"
    assert_names(load_error(write(spec)), "measure_from", "cancelled")
    spec["measure_from"] = "nowhere"
    assert_names(load_error(write(spec)), "measure_from", "nowhere")


def test_measure_from_is_required_when_a_gate_requires_result_measured(spec, write):
    del spec["measure_from"]
    assert_names(load_error(write(spec)), "measure_from", "result_measured")


def test_measure_from_may_name_another_active_state(spec, write):
    spec["measure_from"] = "target"
    assert load_file(write(spec)).measure_from == "target"


def test_only_one_workflow_may_be_the_default(spec, write):
    other = copy.deepcopy(spec)
    other["id"] = "psr_short"
    write(other, "other.yaml")
    write(spec)
    with pytest.raises(WorkflowError) as info:
        load_dir(write(spec).parent)
    assert "psr, psr_short" in str(info.value)
    other["default"] = False
    write(other, "other.yaml")
    registry = load_dir(write(spec).parent)
    assert registry.default().id == "psr"
