"""The console script ``leanschool`` (API.md). Every command exits 0 on success and
non-zero with a one-line message on stderr on error, never with a traceback."""
from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from engine import config
from engine.db import Store, migrate
from engine.errors import DataFileError, DomainError, ValidationFailed
from engine.policy import ROLES, SYSTEM
from engine.text import Text
from engine.workflow import load_dir

LOCALE = config.settings().locale
log = logging.getLogger("leanschool")


class CliError(click.ClickException):
    def show(self, file: Any = None) -> None:
        click.echo(f"leanschool: {self.message}", err=True)


def _message(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join(f"{k}: {v}" for k, v in exc.field_messages(LOCALE).items())
    return exc.message(LOCALE)


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain and unexpected errors into one line on stderr and exit 1."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except DataFileError as exc:  # a workflow or questionnaire file: file: field: message lines
            for line in str(exc).splitlines():
                click.echo(line, err=True)
            raise SystemExit(1) from None
        except DomainError as exc:
            raise CliError(_message(exc)) from None
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if config.settings().debug:
                traceback.print_exc()
            raise CliError(f"internal error: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    return wrapper


def open_store(init: bool = True) -> Store:
    """Load the workflows (a broken file stops here), migrate, and open the database."""
    registry = load_dir(config.workflows_dir())
    url = config.database_url()
    if init:
        migrate(url)
    return Store(url, registry)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Lean School: ПСР-проекты of schools, kindergartens and colleges."""


@main.command()
@friendly
def init() -> None:
    """Create or upgrade the database to the latest migration."""
    open_store().dispose()
    click.echo(f"database ready: {_safe_url(config.database_url())}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


@main.command()
@click.option("--reset", is_flag=True, help="Empty the database first.")
@click.option("--scale", type=click.IntRange(1, 1_000_000), default=None,
              help="Generate regions of N projects each instead of the Oryol demo "
                   "(written in bulk: copies of a few hundred projects built through the services).")
@click.option("--regions", type=click.IntRange(1, 1_000), default=1, show_default=True,
              help="With --scale: how many regions of N projects («Демо-регион №k (N проектов)» when more than one).")
@click.option("--services", is_flag=True,
              help="With --scale: build every project through the services instead of in bulk (slow; one region).")
@friendly
def demo(reset: bool, scale: int | None, regions: int, services: bool) -> None:
    """Load the demo region and print the demo accounts.

    Without --scale: the Oryol region (about 150 projects, built through the services).
    With --scale N [--regions R]: R generated regions of N projects each.
    """
    from engine import demo as demo_mod

    if scale is None and (regions != 1 or services):
        raise click.UsageError("--regions и --services задаются вместе с --scale N")
    if services and regions != 1:
        raise click.UsageError("--services строит один регион: уберите --regions")
    store = open_store()
    try:
        accounts = demo_mod.load(store, reset=reset, scale=scale, echo=click.echo, regions=regions,
                                 bulk=scale is not None and not services)
    finally:
        store.dispose()
    print_accounts(accounts)


def print_accounts(accounts: list[dict[str, str]]) -> None:
    """The demo's accounts, one line each: e-mail, roles, where they work."""
    click.echo("")
    click.echo(f"Демо-учётные записи (пароль у всех: {accounts[0]['password']}):")
    lines: dict[str, tuple[list[str], str]] = {}  # one line an account: a member may coordinate too
    for acc in accounts:
        roles, place = lines.setdefault(acc["email"], ([], acc.get("place", "")))
        roles.append(ROLE_TITLES.get(acc["role"], acc["role"]))
    for email, (roles, place) in lines.items():
        click.echo(f"  {email:<36} {', '.join(roles):<24} {place}")
    click.echo("Войдите на http://127.0.0.1:5000 (или по адресу, который покажет serve) под любой из них.")


ROLE_TITLES = {"admin": "администратор", "curator": "куратор", "head": "руководитель", "member": "участник",
               "coordinator": "координатор"}


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=int, show_default=True)
@click.option("--workers", default=1, type=click.IntRange(1, 64), show_default=True,
              help="Processes. 1: waitress (one PC, Windows); more: gunicorn (Linux), each worker with --threads.")
@click.option("--threads", default=8, type=click.IntRange(1, 64), show_default=True, help="Threads per process.")
@click.option("--timeout", default=120, type=click.IntRange(10, 3600), show_default=True,
              help="gunicorn: seconds a request may take before its worker is restarted.")
@friendly
def serve(host: str, port: int, workers: int, threads: int, timeout: int) -> None:
    """Serve the web UI and the API: waitress in one process, or gunicorn with N worker
    processes (--workers N, Linux) that share nothing but the database. Migrations run once,
    here, before any worker starts (unless AUTO_MIGRATE=false); the scheduler is its own
    process (leanschool scheduler)."""
    if workers == 1:
        from waitress import serve as waitress_serve

        # one process: its figures stay in memory (an inherited multi-process folder would be
        # read by nobody else, and might not exist)
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)

        from webui import create_app

        _port_is_free(host, port)
        app = create_app()
        click.echo(f"Lean School: http://{host}:{port}/")
        waitress_serve(app, host=host, port=port, threads=threads, ident="leanschool")
        return
    if sys.platform == "win32":
        raise CliError(Text("несколько процессов (--workers) работают только в Linux (gunicorn); "
                            "в Windows запустите с --workers 1",
                            "several processes (--workers) need Linux (gunicorn); on Windows use --workers 1"
                            ).get(LOCALE))
    _port_is_free(host, port)
    _serve_gunicorn(host, port, workers, threads, timeout)


def _port_is_free(host: str, port: int) -> None:
    """Stop with a plain Russian message when the port is taken (another leanschool, another
    program) or cannot be used, instead of the server's traceback."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise CliError(Text(f"неизвестный адрес --host {host}", f"unknown address --host {host}").get(LOCALE)) from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CliError(Text(
                    f"порт {port} уже занят другой программой (может быть, Lean School уже запущен). "
                    f"Запустите на другом порту: leanschool serve --port {port + 1} (или PORT={port + 1} make demo)",
                    f"port {port} is in use by another program (perhaps Lean School runs already). "
                    f"Use another port: leanschool serve --port {port + 1} (or PORT={port + 1} make demo)"
                ).get(LOCALE)) from None
            if exc.errno == errno.EACCES:
                raise CliError(Text(f"нет прав открыть порт {port}: порты ниже 1024 требуют прав администратора; "
                                    "выберите порт 1024 или выше, например --port 5000",
                                    f"no permission to open port {port}: ports below 1024 need administrator rights; "
                                    "pick 1024 or above, e.g. --port 5000").get(LOCALE)) from None
            raise CliError(Text(f"не удалось открыть {host}:{port}: {exc.strerror}",
                                f"cannot open {host}:{port}: {exc.strerror}").get(LOCALE)) from None


def _metrics_dir(settings: config.Settings) -> tuple[str, bool]:
    """The folder where gunicorn's workers keep their Prometheus figures (prometheus-client's
    multi-process mode), emptied at start; a temporary one unless PROMETHEUS_MULTIPROC_DIR
    names it. Returns (folder, whether it is temporary)."""
    import tempfile
    from pathlib import Path

    if settings.PROMETHEUS_MULTIPROC_DIR:
        folder = Path(settings.PROMETHEUS_MULTIPROC_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.db"):
            old.unlink()
        return str(folder), False
    return tempfile.mkdtemp(prefix="leanschool-metrics-"), True


def _serve_gunicorn(host: str, port: int, workers: int, threads: int, timeout: int) -> None:
    import shutil

    from gunicorn.app.base import BaseApplication

    settings = config.settings()
    load_dir(config.workflows_dir())  # a broken workflow file stops here, before any worker
    url = config.database_url()
    if settings.AUTO_MIGRATE:
        migrate(url)  # once, here: the workers never migrate
    config.secret_key()  # the instance's generated key, made once before the workers read it
    metrics_dir, temporary = _metrics_dir(settings)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # before prometheus-client is imported anywhere

    def child_exit(server: Any, worker: Any) -> None:
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)

    options: dict[str, Any] = {
        "bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": threads,
        "timeout": timeout, "graceful_timeout": 30, "proc_name": "leanschool", "errorlog": "-",
        "child_exit": child_exit,
    }
    if settings.LOG_FORMAT == "json":
        options["logconfig_dict"] = {
            "version": 1, "disable_existing_loggers": False,
            "formatters": {"json": {"()": "engine.logs.JsonFormatter"}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json",
                                     "stream": "ext://sys.stderr"}},
            "root": {"level": "INFO", "handlers": ["console"]},
            "loggers": {name: {"level": "INFO", "handlers": ["console"], "propagate": False}
                        for name in ("gunicorn.error", "gunicorn.access")},
        }

    class LeanSchoolGunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            if "control_socket_disable" in self.cfg.settings:  # gunicorn ≥ 24: no socket in $HOME (systemd)
                self.cfg.set("control_socket_disable", True)
            # anything else gunicorn knows (limits, access log ...), as its own command reads it;
            # this command's own options win
            parsed = self.cfg.parser().parse_args(self.cfg.get_cmd_args_from_env())
            for key, value in vars(parsed).items():
                if value is not None and key != "args":
                    self.cfg.set(key.lower(), value)
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from webui import create_app
            return create_app({"AUTO_MIGRATE": False})  # in each worker; migrated above

    click.echo(f"Lean School: http://{host}:{port}/ (gunicorn, {workers} workers × {threads} threads)")
    try:
        LeanSchoolGunicorn().run()
    finally:
        if temporary:
            shutil.rmtree(metrics_dir, ignore_errors=True)


@main.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once and exit (for cron or systemd timers).")
@friendly
def scheduler_cmd(once: bool) -> None:
    """Run the scheduler process: stall scan, reminders, snapshots, e-mail (only one at a time)."""
    from engine.jobs import scheduler

    store = open_store()
    try:
        if not once:
            from engine import logs
            logs.configure(config.settings().LOG_FORMAT)  # LOG_FORMAT=json: one JSON object a line
            click.echo("Lean School scheduler: Ctrl-C to stop")
            scheduler.run_forever(store)
            return
        with scheduler.single_scheduler(store):
            summary = scheduler.run_once(store)
        for job, result in summary.items():
            click.echo(f"{job}: " + " ".join(f"{k}={v}" for k, v in result.items()))
        failed = [job for job, result in summary.items() if "error" in result]
        if failed:
            raise CliError("failed: " + ", ".join(failed))
    finally:
        store.dispose()


class Refused(CliError):
    exit_code = 2  # a refusal the operator can lift (--force), not a failure


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@friendly
def backup(file: str) -> None:
    """Copy the whole database to FILE (SQLite: its online backup API; PostgreSQL: pg_dump
    custom format), while the server and the scheduler run. FILE is readable by its owner only."""
    from engine.io import backup as backups

    done = backups.backup(config.database_url(), file)
    click.echo(Text(f"копия базы записана: {done.file} ({done.size} байт)",
                    f"backup written: {done.file} ({done.size} bytes)").get(LOCALE))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace the data of a database that is not empty.")
@friendly
def restore(file: str, force: bool) -> None:
    """Restore FILE (made by `leanschool backup`) into an empty database; a database that
    holds data is refused (exit 2) unless --force. Stop the server and the scheduler first."""
    from engine.io import backup as backups

    url = config.database_url()
    try:
        done = backups.restore(url, file, force=force)
    except backups.NotEmpty as exc:
        raise Refused(exc.message(LOCALE)) from None
    click.echo(Text(f"копия {done.file} восстановлена в {_safe_url(url)}; "
                    "запустите leanschool init, если она сделана более старой версией",
                    f"{done.file} restored into {_safe_url(url)}; run leanschool init if it was made by "
                    "an older version").get(LOCALE))


@main.group()
def user() -> None:
    """Users."""


@user.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--org", "org_id", type=int, default=None)
@click.option("--region", "region_id", type=int, default=None)
@click.option("--municipality", "municipality_id", type=int, default=None,
              help="A municipal curator: the curator role for this municipality only (instead of --region).")
@friendly
def user_create(email: str, name: str, password: str, role: str, org_id: int | None,
                region_id: int | None, municipality_id: int | None) -> None:
    """Create a user and grant a role (--org for member, head, coordinator; --region or
    --municipality for a curator); prints the user id."""
    from engine.services import create_user

    store = open_store()
    try:
        with store.uow() as uow:
            u = create_user(uow, SYSTEM, {"email": email, "name": name, "password": password,
                                          "role": role, "org_id": org_id, "region_id": region_id,
                                          "municipality_id": municipality_id})
        click.echo(u.id)
    finally:
        store.dispose()


def _with_user(email: str, action: Callable[[Any, int], Any]) -> Any:
    """Run ``action(uow, user_id)`` for the user with that e-mail; an unknown e-mail is one
    line on stderr naming it."""
    from engine.errors import NotFound
    from engine.services.admin import user_by_email

    store = open_store()
    try:
        with store.uow() as uow:
            try:
                user_id = user_by_email(uow, email).id
            except NotFound:
                raise CliError(Text(f"нет пользователя с адресом {email}",
                                    f"no user with the e-mail {email}").get(LOCALE)) from None
            return action(uow, user_id)
    finally:
        store.dispose()


@user.command("deactivate")
@click.argument("email")
@friendly
def user_deactivate(email: str) -> None:
    """Deactivate a user: no sign-in, every browser session ends, API tokens answer 401
    (they work again after `user activate`; `token revoke` ends them for good)."""
    from engine.services.admin import deactivate_user

    email = _with_user(email, lambda uow, uid: deactivate_user(uow, SYSTEM, uid)).email
    click.echo(Text(f"отключён: {email}", f"deactivated: {email}").get(LOCALE))


@user.command("activate")
@click.argument("email")
@friendly
def user_activate(email: str) -> None:
    """Let a deactivated user sign in again."""
    from engine.services.admin import activate_user

    email = _with_user(email, lambda uow, uid: activate_user(uow, SYSTEM, uid)).email
    click.echo(Text(f"включён: {email}", f"activated: {email}").get(LOCALE))


@user.command("revoke-role")
@click.argument("email")
@click.argument("role")
@click.option("--org", "org_id", type=int, default=None, help="The organisation of a member or head role.")
@click.option("--region", "region_id", type=int, default=None, help="The region of a curator role.")
@click.option("--municipality", "municipality_id", type=int, default=None,
              help="Not supported yet: no role is granted for a municipality.")
@friendly
def user_revoke_role(email: str, role: str, org_id: int | None, region_id: int | None,
                     municipality_id: int | None) -> None:
    """Remove one of a user's roles (ROLE: member, head, curator, admin); their browser
    sessions end. Name --org or --region when the user holds the role in several places."""
    from engine.services.admin import revoke_role

    data = {"role": role, "org_id": org_id, "region_id": region_id, "municipality_id": municipality_id}
    grant = _with_user(email, lambda uow, uid: revoke_role(uow, SYSTEM, uid, data))
    email = email.strip().lower()
    scope = (f" (org {grant.org_id})" if grant.org_id is not None else
             f" (region {grant.region_id})" if grant.region_id is not None else "")
    click.echo(Text(f"роль снята: {email} {grant.role}{scope}",
                    f"role removed: {email} {grant.role}{scope}").get(LOCALE))


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("email")
@friendly
def token_create(email: str) -> None:
    """Print a new API token for the user (only its hash is stored)."""
    from engine.services import create_token

    store = open_store()
    try:
        with store.uow() as uow:
            value = create_token(uow, SYSTEM, email)
        click.echo(value)
    finally:
        store.dispose()


@token.command("revoke")
@click.argument("email")
@friendly
def token_revoke(email: str) -> None:
    """Revoke all of the user's tokens."""
    from engine.services import revoke_tokens

    store = open_store()
    try:
        with store.uow() as uow:
            n = revoke_tokens(uow, SYSTEM, email)
        click.echo(f"revoked: {n}")
    finally:
        store.dispose()


# --- onboarding a region from files ------------------------------------------------------------

@main.group("import")
def import_group() -> None:
    """Onboarding a region: organisations, then users, from CSV or XLSX files."""


def _import_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--skip-bad", is_flag=True,
                      help="Write the good rows and report the bad ones (default: refuse the whole file).")(fn)
    fn = click.option("--dry-run", is_flag=True, help="Check everything and show what would change; write nothing.")(fn)
    fn = click.option("--region", default=None,
                      help="Region name or id (needed only when the database has several).")(fn)
    return click.argument("file")(fn)


@import_group.command("orgs")
@_import_options
@click.option("--create-missing", is_flag=True,
              help="Create the region given by --region and the municipalities the file names when they "
                   "do not exist yet (a fresh installation); they are listed.")
@friendly
def import_orgs(file: str, region: str | None, dry_run: bool, skip_bad: bool, create_missing: bool) -> None:
    """Import organisations. Columns: ИНН (inn, optional), Наименование (name),
    Тип (kind: школа|детский сад|колледж|другое), Муниципалитет (municipality)."""
    _import("orgs", file, region, dry_run, skip_bad, create_missing=create_missing)


@import_group.command("users")
@_import_options
@click.option("--passwords-out", type=click.Path(dir_okay=False), default=None,
              help="Write the new users' passwords to this new file (default: print them).")
@friendly
def import_users(file: str, region: str | None, dry_run: bool, skip_bad: bool, passwords_out: str | None) -> None:
    """Import users with their roles. Columns: E-mail (email), ФИО (name),
    Роль (role: участник|руководитель|куратор|администратор), ИНН (inn) or Организация
    (organisation) with Муниципалитет (municipality) for members and heads, Регион (region) for curators."""
    _import("users", file, region, dry_run, skip_bad, passwords_out)


@import_group.command("participants")
@click.argument("file")
@click.option("--programme", required=True, help="The programme's id (leanschool shows them when it is wrong).")
@click.option("--dry-run", is_flag=True, help="Check everything and show what would change; write nothing.")
@click.option("--skip-bad", is_flag=True,
              help="Write the good rows and report the bad ones (default: refuse the whole file).")
@friendly
def import_participants(file: str, programme: str, dry_run: bool, skip_bad: bool) -> None:
    """Add a programme's participants: organisations that exist already. Columns: ИНН (inn),
    or Наименование (name) with Муниципалитет (municipality); Волна (wave, optional, 1);
    Дата вступления (joined_on, optional, today; ДД.ММ.ГГГГ)."""
    _import("participants", file, programme, dry_run, skip_bad)


@import_group.command("enrolments")
@click.argument("file")
@click.option("--stream", required=True, help="The course stream's id (leanschool shows them when it is wrong).")
@click.option("--dry-run", is_flag=True, help="Check everything and show what would change; write nothing.")
@click.option("--skip-bad", is_flag=True,
              help="Write the good rows and report the bad ones (default: refuse the whole file).")
@friendly
def import_enrolments(file: str, stream: str, dry_run: bool, skip_bad: bool) -> None:
    """Enrol people in a course stream and record completions. Columns: E-mail (email, a user)
    or ФИО (an initiative-group person) with ИНН (inn) or Организация (organisation) and
    Муниципалитет (municipality); Дата окончания (completed_on, optional; ДД.ММ.ГГГГ);
    Номер удостоверения (certificate_no, optional). A re-run changes nothing."""
    _import("enrolments", file, stream, dry_run, skip_bad)


WORDS = {  # the CLI's own wording
    "create": Text("создание", "create"), "update": Text("изменение", "update"),
    "unchanged": Text("без изменений", "unchanged"),
    "row": Text("строка", "row"), "column": Text("столбец", "column"),
    "orgs": Text("Организации", "Organisations"), "users": Text("Пользователи", "Users"),
    "participants": Text("Участники программы", "Programme participants"),
    "enrolments": Text("Слушатели потока", "Stream enrolments"),
    "created": Text("создано", "created"), "added": Text("добавлено", "added"), "updated": Text("изменено", "updated"),
    "same": Text("без изменений", "unchanged"),
    "skipped": Text("пропущено строк с ошибками", "rows skipped with errors"),
    "dry": Text("Пробный запуск: ничего не записано. Было бы", "Dry run: nothing was written. It would be"),
    "muns": Text("Муниципалитеты региона", "Municipalities of the region"),
    "ignored": Text("Эти столбцы не используются", "These columns are not used"),
    "new_region": Text("Новый регион", "New region"),
    "new_muns": Text("Новые муниципалитеты", "New municipalities"),
    "writing": Text("Запись", "Writing"), "checking": Text("Проверка (пробный запуск)", "Checking (dry run)"),
    "passwords": Text("Пароли новых пользователей (больше нигде не показываются, сохраните их):",
                      "Passwords of the new users (shown only here; keep them):"),
    "passwords_to": Text("Пароли новых пользователей записаны в", "Passwords of the new users are in"),
}


def _t(key: str) -> str:
    return WORDS[key].get(LOCALE)


def _import(kind: str, file: str, region: str | None, dry_run: bool, skip_bad: bool,
            passwords_out: str | None = None, create_missing: bool = False) -> None:
    from engine.io import onboarding
    from engine.io.tabular import read_table

    table = read_table(file)
    store = open_store()
    try:
        with store.uow() as uow:
            if kind == "participants":  # ``region`` is the programme's id here
                plan = onboarding.plan_participants(uow, table, region or "")
            elif kind == "enrolments":  # ``region`` is the stream's id here
                from engine.training.importer import plan_enrolments
                plan = plan_enrolments(uow, table, region or "")
            else:
                plan = (onboarding.plan_organizations(uow, table, region, create_missing=create_missing)
                        if kind == "orgs" else onboarding.plan_users(uow, table, region))
            if passwords_out and os.path.exists(passwords_out) and plan.count("create") and not dry_run:
                raise CliError(Text(f"файл {passwords_out} уже есть; укажите новый файл для паролей",
                                    f"{passwords_out} exists already; give a new file for the passwords").get(LOCALE))
            _report(plan, show_outcomes=not plan.errors or skip_bad or dry_run)
            if plan.errors and not skip_bad:
                rows = plan.bad_rows
                listed = ", ".join(map(str, rows[:20])) + (" …" if len(rows) > 20 else "")
                raise CliError(Text(f"строк с ошибками: {len(rows)} ({listed}); ничего не записано "
                                    "(исправьте файл или запустите с --skip-bad)",
                                    f"rows with errors: {len(rows)} ({listed}); nothing was written "
                                    "(correct the file, or run with --skip-bad)").get(LOCALE))
            if plan.steps:
                with click.progressbar(length=len(plan.steps), file=sys.stderr, show_pos=True,
                                       label=_t("checking" if dry_run else "writing")) as bar:
                    onboarding.apply_plan(uow, plan, on_step=lambda: bar.update(1))
            if dry_run:
                click.echo(_summary(plan, dry_run=True))
                return
            if plan.passwords and passwords_out:
                _write_passwords(passwords_out, plan.passwords)
            try:
                uow.commit()
            except Exception:
                if plan.passwords and passwords_out:
                    os.unlink(passwords_out)  # they belong to users who were not created
                raise
        click.echo(_summary(plan, dry_run=False))
        if plan.passwords and passwords_out:
            click.echo(f"{_t('passwords_to')} {passwords_out}")
        elif plan.passwords:
            click.echo(_t("passwords"))
            for email, password in plan.passwords:
                click.echo(f"  {email}  {password}")
    finally:
        store.dispose()


def _report(plan: Any, show_outcomes: bool) -> None:
    if getattr(plan, "created_region", False):
        click.echo(f"{_t('new_region')}: {plan.region.name}")
    if getattr(plan, "created_municipalities", None):
        click.echo(f"{_t('new_muns')}: " + ", ".join(plan.created_municipalities))
    if plan.ignored_columns:
        click.echo(f"{_t('ignored')}: " + ", ".join(f"«{h}»" for h in plan.ignored_columns), err=True)
    if show_outcomes:
        for o in plan.outcomes:
            details = f": {o.details.get(LOCALE)}" if o.details else ""
            click.echo(f"{_t('row')} {o.row}: {_t(o.action)} — {o.label}{details}")
    for e in plan.errors:
        click.echo(f"{_t('row')} {e.row}, {_t('column')} «{e.column}»: {e.text.get(LOCALE)}", err=True)
    if plan.unknown_municipalities and plan.region is not None:
        click.echo(f"{_t('muns')} «{plan.region.name}»: " + ", ".join(plan.known_municipalities), err=True)


def _summary(plan: Any, dry_run: bool) -> str:
    created = _t("added") if plan.kind in ("participants", "enrolments") else _t("created")
    counts = (f"{created} {plan.count('create')}, {_t('updated')} {plan.count('update')}, "
              f"{_t('same')} {plan.count('unchanged')}")
    if plan.errors:
        counts += f", {_t('skipped')} {len(plan.bad_rows)}"
    return f"{_t('dry')}: {counts}." if dry_run else f"{_t(plan.kind)}: {counts}."


def _write_passwords(path: str, passwords: list[tuple[str, str]]) -> None:
    """A new file only its owner may read: e-mail;password, UTF-8 with a BOM for Excel
    (through engine.io.cells, as every export: an address from the file is never a formula)."""
    from engine.io import cells

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as out:
        writer = cells.csv_writer(out)
        writer.writerow(["email", "password"])
        writer.writerows(passwords)


@main.group()
def workflows() -> None:
    """Workflow files."""


@workflows.command("check")
@click.argument("directory", required=False)
@friendly
def workflows_check(directory: str | None) -> None:
    """Validate workflow files; exit 1 with file:field: message on error."""
    registry = load_dir(config.workflows_dir(directory))
    for wf in registry.all():
        click.echo(f"{wf.source_file}: {wf.id} v{wf.version}: OK "
                   f"({len(wf.states)} states, {len(wf.transitions)} transitions)")
        for t in wf.transitions:  # the approval sequences, spelled out (approval: [head, curator])
            if t.sequence:
                click.echo(f"  {t.trigger}: approval in steps: {' -> '.join(t.steps)}")



@main.group()
def questionnaires() -> None:
    """Readiness questionnaire files (questionnaires/*.yaml)."""


@questionnaires.command("check")
@click.argument("directory", required=False)
@friendly
def questionnaires_check(directory: str | None) -> None:
    """Validate questionnaire files; exit 1 with file:field: message on error."""
    from engine.programme.questionnaire import QUESTIONNAIRES_DIR
    from engine.programme.questionnaire import load_dir as load_questionnaires

    for q in load_questionnaires(directory or QUESTIONNAIRES_DIR).values():
        items = sum(len(s.items) for s in q.sections)
        click.echo(f"{q.source_file}: {q.id} v{q.version}: OK ({len(q.sections)} sections, {items} items, "
                   f"{len(q.questions)} questions)")


# --- practice exchange between installations (API.md "Practice exchange (CLI)") ------------

@main.group()
def practices() -> None:
    """The portfolio: exchange practices with other installations (JSON, schemas/practices-exchange-v1.json)."""


@practices.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--region", default=None, help="Region name or id (default: every region).")
@click.option("--installation", default=None, help="This installation's name or address, written into the file.")
@friendly
def practices_export(file: str, region: str | None, installation: str | None) -> None:
    """Write the region's published practices to FILE (JSON): content, organisation, a stable key;
    no personal names, no comments."""
    import json

    from engine.practices import exchange

    store = open_store()
    try:
        with store.uow() as uow:
            document = exchange.export_document(uow, SYSTEM, region, installation)
        with open(file, "w", encoding="utf-8") as out:
            json.dump(document, out, ensure_ascii=False, indent=2)
            out.write("\n")
    finally:
        store.dispose()
    n = len(document["practices"])
    click.echo(Text(f"выгружено практик: {n} → {file}", f"practices exported: {n} → {file}").get(LOCALE))


@practices.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--region", default=None, help="Region name or id (needed only when the database has several).")
@click.option("--dry-run", is_flag=True, help="Check everything and show what would change; write nothing.")
@friendly
def practices_import(file: str, region: str | None, dry_run: bool) -> None:
    """Add the practices of FILE (made by `leanschool practices export`) as external practices
    of the region; a practice imported before is updated, never duplicated."""
    from engine.practices import exchange

    try:
        with open(file, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise CliError(Text(f"не удалось прочитать файл {file}: {exc.strerror}",
                            f"cannot read {file}: {exc.strerror}").get(LOCALE)) from None
    document = exchange.read_document(raw)
    store = open_store()
    try:
        with store.uow() as uow:
            plan = exchange.plan_import(uow, SYSTEM, document, region)
            for e in plan.errors:
                click.echo(e.line(LOCALE), err=True)
            if plan.errors:
                raise CliError(Text(f"ошибок в файле: {len(plan.errors)}; ничего не записано",
                                    f"errors in the file: {len(plan.errors)}; nothing was written").get(LOCALE))
            for step in plan.steps:
                click.echo(f"{step.index}: {_t(step.action)} — {step.title}")
            counts = (f"{_t('created')} {plan.count('create')}, {_t('updated')} {plan.count('update')}, "
                      f"{_t('same')} {plan.count('unchanged')}")
            if dry_run:
                click.echo(f"{_t('dry')}: {counts}.")
                return
            exchange.apply_import(uow, SYSTEM, plan)
        click.echo(Text(f"Внешние практики ({plan.region.name if plan.region else ''}): {counts}.",
                        f"External practices ({plan.region.name if plan.region else ''}): {counts}.").get(LOCALE))
    finally:
        store.dispose()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
