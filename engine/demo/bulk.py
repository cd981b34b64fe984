"""Scale mode in bulk (``leanschool demo --scale N --regions R``): template and copy.

The services stay the source of truth. A few hundred *template* projects (``plan_scale``
with the seeding of today's scale mode) are built through the services, with the moved
clock, into a throwaway SQLite database; every row they produced (the project, its team,
metrics, measurements, problems, actions, artefacts, risks, requests, comments,
notifications and its audit events) is read back per project. Then each region's world
(municipalities, organisations, people, their audit events) and its N projects are
written in bulk: each project a copy of a template of its organisation's kind with every
id remapped (foreign keys from the schema, ids inside event payloads by name), its people
those of its own organisation, its own registration number. So every copy replays to its
state from its own log exactly as its template does, at the template's moments.

Writing: batched ``executemany`` on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL (then
the sequences are moved past the explicit ids). One transaction per region, written in
chunks of projects, so memory stays bounded by a chunk, not by the region or the load.

The demo password is public: the users of a bulk region share a small pool of hashes
(HASHES, each its own salt, at DEMO_SCRYPT_N) instead of one hash each, which would cost
about 10 ms a user (80 s for a region of 10,000 projects).
"""
from __future__ import annotations

import json
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, func, select, text

from engine import clock, passwords
from engine.db import Store, migrate
from engine.demo.content import content
from engine.demo.timeline import SETUP_DAYS, DemoError, Timeline
from engine.demo.world import Org, Person, World
from engine.models import metadata

C = content()

TEMPLATES = 200  # template projects built through the services (fewer when N is smaller)
CHUNK = 1000  # projects written per batch
HASHES = 64  # distinct password hashes per load

# the tables a project's story writes, parents first
PROJECT_TABLES = ["project", "team_member", "metric", "measurement", "problem", "action", "artefact", "risk",
                  "transition_request", "comment", "event", "notification"]
WORLD_TABLES = ["region", "municipality", "organization", "user", "role_grant", "reg_counter"]
# ids inside event payloads: the key -> the table its value points into
PAYLOAD_IDS = {"action_id": "action", "artefact_id": "artefact", "comment_id": "comment",
               "measurement_id": "measurement", "metric_id": "metric", "problem_id": "problem",
               "risk_id": "risk", "request_id": "transition_request", "project_id": "project",
               "user_id": "user", "owner_id": "user", "org_id": "organization", "region_id": "region",
               "municipality_id": "municipality"}


def _table(name: str) -> Table:
    return metadata.tables[name]


# --- the templates -------------------------------------------------------------------------------

@dataclass
class Template:
    """One template project: its rows by table (in id order), and who acts in it."""
    kind: str  # its organisation's kind
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class Templates:
    projects: list[Template]
    head: dict[int, int]  # template org id -> its head's user id
    member: dict[int, int]  # template org id -> its member's user id
    curator: int
    names: dict[int, str]  # template user id -> name

    def of_kind(self) -> dict[str, list[Template]]:
        out: dict[str, list[Template]] = defaultdict(list)
        for t in self.projects:
            out[t.kind].append(t)
        return out


def build_templates(store: Store, n: int, echo: Callable[[str], Any], build: Callable[[Store], Any]) -> Templates:
    """Build ``n`` projects through the services into a throwaway SQLite database (with
    ``build``: the service-built scale mode of ``demo.load`` for n projects) and read
    their rows back."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="leanschool-demo-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'template.db'}"
        migrate(url)
        tmp_store = Store(url, store.workflows)
        try:
            build(tmp_store)
            with tmp_store.engine.connect() as conn:
                templates = _read_templates(conn)
        finally:
            tmp_store.dispose()
    echo(f"  шаблоны: {len(templates.projects)} проектов через сервисы ({time.monotonic() - started:.0f} с)")
    return templates


def _read_templates(conn: Connection) -> Templates:
    def rows(name: str) -> Iterator[dict[str, Any]]:
        t = _table(name)
        for r in conn.execute(select(t).order_by(t.c.id)):
            yield dict(r._mapping)

    orgs = {r["id"]: r["kind"] for r in rows("organization")}
    by_project: dict[int, Template] = {}
    for p in rows("project"):
        by_project[p["id"]] = Template(orgs[p["org_id"]])
        by_project[p["id"]].rows["project"].append(p)
    metric_project: dict[int, int] = {}
    for name in PROJECT_TABLES[1:]:
        for r in rows(name):
            if name == "measurement":
                project_id = metric_project[r["metric_id"]]
            elif r.get("project_id") is None:
                continue  # the world's events (region, organisations, people): written afresh
            else:
                project_id = r["project_id"]
            if name == "metric":
                metric_project[r["id"]] = project_id
            by_project[project_id].rows[name].append(r)
    head, member, curator = {}, {}, None
    for g in rows("role_grant"):
        if g["role"] == "head":
            head[g["org_id"]] = g["user_id"]
        elif g["role"] == "member":
            member[g["org_id"]] = g["user_id"]
        elif g["role"] == "curator":
            curator = g["user_id"]
    if curator is None:
        raise DemoError("the template region has no curator")
    names = {u["id"]: u["name"] for u in rows("user")}
    return Templates([by_project[k] for k in sorted(by_project)], head, member, curator, names)


# --- writing -------------------------------------------------------------------------------------

class Writer:
    """Rows buffered by table and written parents first: executemany on SQLite, COPY on
    PostgreSQL. Allocates ids in blocks past each table's largest id."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.next_id: dict[str, int] = {}
        for name in WORLD_TABLES + PROJECT_TABLES:
            t = _table(name)
            if "id" in t.c:
                self.next_id[name] = int(conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()) + 1
        self.written: set[str] = set()

    def new_id(self, table: str) -> int:
        n = self.next_id[table]
        self.next_id[table] = n + 1
        return n

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)

    def flush(self) -> None:
        for name in WORLD_TABLES + PROJECT_TABLES:
            rows = self.rows.pop(name, None)
            if rows:
                self._write(_table(name), rows)
                self.written.add(name)

    def _write(self, t: Table, rows: list[dict[str, Any]]) -> None:
        if not self.pg:
            self.conn.execute(t.insert(), rows)
            return
        names = [c.name for c in t.columns]
        json_cols = {c.name for c in t.columns if c.type.__class__.__name__ == "JSON"}
        raw: Any = self.conn.connection.driver_connection
        cols = ", ".join(f'"{n}"' for n in names)
        with raw.cursor() as cur, cur.copy(f'COPY "{t.name}" ({cols}) FROM STDIN') as copy:
            for r in rows:
                copy.write_row([json.dumps(r[n]) if n in json_cols else r[n] for n in names])

    def fix_sequences(self) -> None:
        """PostgreSQL: the next id a service takes comes after the explicit ids written."""
        if not self.pg:
            return
        for name in self.written:
            if "id" in _table(name).c:
                self.conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                                       f"(SELECT max(id) FROM \"{name}\"))"))


# --- one region ----------------------------------------------------------------------------------

def write_world(w: Writer, world: World, hashes: list[str], tl: Timeline) -> None:
    """The region, municipalities, organisations and people with their grants, and the
    audit events the services write for them (by the system, as ``plan_world`` does)."""
    at, at_people = tl.at(-SETUP_DAYS), tl.at(-SETUP_DAYS + 0.01)

    def event(kind: str, payload: dict[str, Any], when: datetime) -> None:
        w.add("event", {"id": w.new_id("event"), "project_id": None, "at": when, "actor_id": None, "kind": kind,
                        "from_state": None, "to_state": None, "stay_days": None, "payload": payload})

    world.region_id = w.new_id("region")
    w.add("region", {"id": world.region_id, "name": world.region_name, "code": world.region_code})
    event("region_created", {"region_id": world.region_id, "name": world.region_name}, at)
    for mun in world.muns:
        mun.id = w.new_id("municipality")
        w.add("municipality", {"id": mun.id, "region_id": world.region_id, "name": mun.name, "kind": mun.kind})
        event("municipality_created", {"municipality_id": mun.id, "name": mun.name}, at)

    def person(p: Person, org: Org | None, when: datetime) -> None:
        p.id = w.new_id("user")
        w.add("user", {"id": p.id, "email": p.email, "name": p.name, "password_hash": hashes[p.id % len(hashes)],
                       "locale": "ru", "is_active": True, "created_at": when, "session_epoch": 0})
        region_id = world.region_id if p.role == "curator" else None
        org_id = org.id if org else None
        w.add("role_grant", {"id": w.new_id("role_grant"), "user_id": p.id, "role": p.role, "org_id": org_id,
                             "region_id": region_id, "municipality_id": None})
        event("user_created", {"user_id": p.id, "email": p.email, "role": p.role, "org_id": org_id,
                               "region_id": region_id, "municipality_id": None}, when)

    if world.admin:
        person(world.admin, None, at)
    person(world.curator, None, at)
    for org in world.orgs:
        org.id = w.new_id("organization")
        w.add("organization", {"id": org.id, "municipality_id": org.mun.id, "region_id": world.region_id,
                               "name": org.name, "kind": org.kind, "inn": None})
        event("organization_created", {"org_id": org.id, "name": org.name, "kind": org.kind, "inn": None}, at)
    for org in world.orgs:
        for p in [org.head, *org.members]:
            person(p, org, at_people)


def _remap_payload(value: Any, ids: dict[str, dict[int, int]]) -> Any:
    if not isinstance(value, dict):
        return value
    out = {}
    for k, v in value.items():
        if k in PAYLOAD_IDS and v is not None:
            try:
                v = ids[PAYLOAD_IDS[k]][v]
            except KeyError as exc:
                raise DemoError(f"a template event's {k}={v} points outside its project") from exc
        elif k.endswith("_id") and v is not None:
            raise DemoError(f"a template event holds an id the bulk copy does not know: {k}")
        out[k] = _remap_payload(v, ids)
    return out


def copy_project(w: Writer, tpl: Template, templates: Templates, org: Org, curator: Person, region_id: int,
                 reg_number: str) -> None:
    """Write one copy of a template project for ``org``: new ids, its people, its number."""
    t_org = tpl.rows["project"][0]["org_id"]
    people = {templates.head[t_org]: org.head, templates.member[t_org]: org.members[0],
              templates.curator: curator}
    ids: dict[str, dict[int, int]] = {"user": {k: p.id for k, p in people.items() if p.id is not None},
                                      "organization": {t_org: org.id} if org.id is not None else {},
                                      "region": {}}
    names = [(templates.names[k], p.name) for k, p in people.items()]

    def rename(s: str) -> str:
        for old, new in names:
            s = s.replace(old, new)
        return s

    old_number = tpl.rows["project"][0]["reg_number"]
    for name in PROJECT_TABLES:
        t = _table(name)
        fks = [(c.name, next(iter(c.foreign_keys)).column.table.name) for c in t.columns if c.foreign_keys]
        if name in ("transition_request", "risk"):
            fks.append(("region_id", "region"))  # the project's region, copied (no foreign key)
        own = ids.setdefault(name, {})
        for r in tpl.rows.get(name, ()):
            row = dict(r)
            own[r["id"]] = row["id"] = w.new_id(name)
            for col, target in fks:
                if row[col] is None:
                    continue
                if target == "region":
                    row[col] = region_id
                elif target not in ids or row[col] not in ids[target]:
                    raise DemoError(f"bulk copy: {name}.{col}={row[col]} has no copy")
                else:
                    row[col] = ids[target][row[col]]
            if name == "project":
                row["reg_number"] = reg_number
                row["sponsor"] = f"{org.head.name}, {org.head.job}"
            elif name == "event":
                payload = _remap_payload(row["payload"], ids)
                if payload.get("reg_number") == old_number:
                    payload["reg_number"] = reg_number
                row["payload"] = payload
            elif name == "notification":
                row["text_ru"], row["text_en"] = rename(row["text_ru"]), rename(row["text_en"])
            w.add(name, row)


def write_region(store: Store, world: World, n: int, rng: random.Random, templates: Templates,
                 hashes: list[str], echo: Callable[[str], Any]) -> None:
    """A region's world and its n projects, in one transaction, written a chunk at a time."""
    tl = Timeline(clock.today())
    by_kind = templates.of_kind()
    used: dict[str, int] = defaultdict(int)
    started = time.monotonic()
    with store.engine.begin() as conn:
        w = Writer(conn)
        write_world(w, world, hashes, tl)
        w.flush()
        for j in range(n):
            org = world.orgs[j] if j < len(world.orgs) else rng.choice(world.orgs)
            # a template of the organisation's kind (its processes fit); any when none is
            choices = by_kind.get(org.kind) or templates.projects
            tpl = choices[used[org.kind] % len(choices)]
            used[org.kind] += 1
            year = tpl.rows["project"][0]["reg_number"].split("-")[-2]
            copy_project(w, tpl, templates, org, world.curator, world.region_id,
                         f"{world.region_code}-{year}-{j + 1:04d}")
            if (j + 1) % CHUNK == 0 or j + 1 == n:
                w.flush()
                if (j + 1) % (CHUNK * 10) == 0 or j + 1 == n:
                    echo(f"  «{world.region_name}»: {j + 1}/{n} ({time.monotonic() - started:.0f} с)")
        w.add("reg_counter", {"region_id": world.region_id, "last_number": n})
        w.flush()
        w.fix_sequences()


def demo_hashes(scrypt_n: int, k: int = HASHES) -> list[str]:
    """``k`` hashes of the demo password, each with its own salt, at the demo's cost."""
    with passwords.hashing_at_most(scrypt_n):
        return [passwords.hash_password(C.region.password) for _ in range(k)]
