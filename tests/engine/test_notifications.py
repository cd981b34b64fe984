"""Notifications (engine/services/notifications.py): the bell (unread count, list, mark read, only
one's own) and e-mail through a real SMTP server (aiosmtpd on 127.0.0.1), sent once."""
from __future__ import annotations

import socket
import threading
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from engine import clock
from engine.errors import ValidationFailed
from engine.io.mail import SmtpConfig
from engine.jobs import scheduler
from engine.jobs.emails import send_pending_emails
from engine.models import Event, Notification
from engine.services.accounts import set_locale
from engine.services.notifications import list_for, mark_read, notify, unread_count
from engine.text import Text

STALLED = Text("Проект «Питание» остановился", "Project “Meals” has stalled")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.envelopes.append(envelope)
            self.messages.append(message_from_bytes(envelope.original_content, policy=default_policy))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, **kwargs: Any) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    def config(self, **kwargs: Any) -> SmtpConfig:
        return SmtpConfig(host="127.0.0.1", port=self.port, sender="leanschool@orel-edu.ru", **kwargs)


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.controller.start()
    yield server
    server.controller.stop()


def add(store: Any, user_id: int, kind: str = "stalled", project_id: int | None = None,
        text: Text = STALLED) -> int:
    with store.uow() as uow:
        n = notify(uow.session, user_id, kind, project_id, text)
        uow.commit()
        return n.id


def emailed(store: Any) -> dict[int, Any]:
    """notification id -> emailed_at"""
    with store.uow() as uow:
        return {i: at for i, at in uow.session.execute(select(Notification.id, Notification.emailed_at))}


# --- the bell -------------------------------------------------------------------------------------

def test_notify_writes_in_the_callers_transaction_only(store, member_of_school):
    with store.uow() as uow:
        notify(uow.session, member_of_school.id, "stalled", None, STALLED)
        # no commit: the caller's change failed, the notification goes with it
    with store.uow() as uow:
        assert unread_count(uow.session, member_of_school.id) == 0


def test_unread_count_list_and_mark_read_touch_only_ones_own(
        store, member_of_school, head_of_school, frozen_clock):
    mine = []
    for i in range(3):
        mine.append(add(store, member_of_school.id, text=Text(f"Уведомление {i}", f"Notification {i}")))
        frozen_clock.advance(minutes=1)
    theirs = add(store, head_of_school.id)

    with store.uow() as uow:
        assert unread_count(uow.session, member_of_school.id) == 3
        assert unread_count(uow.session, head_of_school.id) == 1
        listed = list_for(uow, member_of_school.actor)
    assert [n.id for n in listed] == list(reversed(mine)), "newest first"
    assert [n.text_ru for n in listed] == ["Уведомление 2", "Уведомление 1", "Уведомление 0"]
    with store.uow() as uow:
        assert [n.id for n in list_for(uow, member_of_school.actor, limit=2)] == [mine[2], mine[1]]

    # someone else's id is ignored, never touched
    with store.uow() as uow:
        assert mark_read(uow, member_of_school.actor, [mine[0], theirs]) == 1
    with store.uow() as uow:
        assert unread_count(uow.session, member_of_school.id) == 2
        assert unread_count(uow.session, head_of_school.id) == 1
        assert uow.session.get(Notification, theirs).read_at is None
        read_at = uow.session.get(Notification, mine[0]).read_at
        assert read_at is not None and clock.as_utc(read_at) == frozen_clock.current

    with store.uow() as uow:  # None: all of one's own
        assert mark_read(uow, member_of_school.actor, None) == 2
    with store.uow() as uow:
        assert unread_count(uow.session, member_of_school.id) == 0
        assert unread_count(uow.session, head_of_school.id) == 1
        assert mark_read(uow, member_of_school.actor, None) == 0  # nothing left: no event
        events = list(uow.session.execute(select(Event).where(Event.kind == "notifications_read")
                                          .order_by(Event.id)).scalars())
    assert [(e.actor_id, e.project_id, e.payload["count"], e.payload["all"]) for e in events] == \
        [(member_of_school.id, None, 1, False), (member_of_school.id, None, 2, True)]


def test_mark_read_refuses_anything_but_a_list_of_ids(store, member_of_school):
    add(store, member_of_school.id)
    for bad in (["1"], [True], "1", [1.5]):
        with store.uow() as uow, pytest.raises(ValidationFailed):
            mark_read(uow, member_of_school.actor, bad)  # type: ignore[arg-type]
    with store.uow() as uow:
        assert unread_count(uow.session, member_of_school.id) == 1


# --- e-mail ------------------------------------------------------------------------------------------

def test_pending_notifications_are_emailed_once_in_the_users_language(
        store, make, smtp_server, member_of_school, head_of_school):
    make.call(set_locale, head_of_school.actor, "en")
    ru = add(store, member_of_school.id)
    en = add(store, head_of_school.id, kind="approval_reminder",
             text=Text("Запрос ждёт согласования", "A request is waiting for your approval"))

    assert send_pending_emails(store, smtp_server.config()) == 2

    by_to = {m["To"]: m for m in smtp_server.messages}
    assert set(by_to) == {member_of_school.email, head_of_school.email}
    russian = by_to[member_of_school.email]
    assert russian["Subject"] == "Lean School: Проект остановился"
    assert russian["From"] == "leanschool@orel-edu.ru"
    assert "Проект «Питание» остановился" in russian.get_content()
    english = by_to[head_of_school.email]
    assert english["Subject"] == "Lean School: A request is waiting for your approval"
    assert "A request is waiting for your approval" in english.get_content()
    assert {tuple(e.rcpt_tos) for e in smtp_server.inbox.envelopes} == \
        {(member_of_school.email,), (head_of_school.email,)}
    marks = emailed(store)
    assert marks[ru] is not None and marks[en] is not None

    assert send_pending_emails(store, smtp_server.config()) == 0
    assert len(smtp_server.messages) == 2, "sent twice"


def test_two_senders_at_once_send_each_notification_once(store, smtp_server, member_of_school, head_of_school):
    ids = [add(store, member_of_school.id if i % 2 else head_of_school.id,
               text=Text(f"Уведомление {i}", f"Notification {i}")) for i in range(30)]
    start = threading.Barrier(2)
    sent: list[int] = []

    def sender() -> None:
        start.wait()
        sent.append(send_pending_emails(store, smtp_server.config()))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(sent) == len(ids)
    bodies = sorted(m.get_content().split("\n")[0] for m in smtp_server.messages)
    assert bodies == sorted(f"Уведомление {i}" for i in range(30)), "a notification was e-mailed twice"


def test_the_emails_job_reads_smtp_from_the_environment(store, smtp_server, member_of_school, monkeypatch):
    add(store, member_of_school.id)
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("SMTP_FROM", "robot@orel-edu.ru")
    assert scheduler.emails(store) == {"sent": 1}
    (message,) = smtp_server.messages
    assert (message["From"], message["To"]) == ("robot@orel-edu.ru", member_of_school.email)


def test_without_smtp_nothing_is_sent_and_the_bell_still_rings(store, member_of_school, monkeypatch):
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS"):
        monkeypatch.delenv(name, raising=False)
    nid = add(store, member_of_school.id)
    assert SmtpConfig.from_env() is None
    assert scheduler.emails(store) == {"sent": 0, "smtp": "off"}
    assert send_pending_emails(store, None) == 0
    assert emailed(store) == {nid: None}
    with store.uow() as uow:
        assert unread_count(uow.session, member_of_school.id) == 1


def test_an_unreachable_server_keeps_the_notifications_for_the_next_run(store, smtp_server, member_of_school):
    nid = add(store, member_of_school.id)
    with socket.socket() as held:  # bound, never listening: refused, and no other test process takes the port
        held.bind(("127.0.0.1", 0))
        nowhere = SmtpConfig(host="127.0.0.1", port=held.getsockname()[1], timeout=5)
        with pytest.raises(OSError):
            send_pending_emails(store, nowhere)
    assert emailed(store) == {nid: None}, "the claim was not given back"
    assert send_pending_emails(store, smtp_server.config()) == 1


def test_old_notifications_are_not_emailed_when_smtp_is_switched_on_later(
        store, smtp_server, member_of_school, frozen_clock):
    add(store, member_of_school.id, text=Text("Давнее", "Old"))
    frozen_clock.advance(days=4)
    add(store, member_of_school.id, text=Text("Свежее", "Fresh"))
    assert send_pending_emails(store, smtp_server.config()) == 1
    assert smtp_server.messages[0].get_content().startswith("Свежее")


def test_smtp_login_with_user_and_password(store, member_of_school):
    logins: list[bytes] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        logins.append(auth_data.login)
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == \
            (b"leanschool", b"s3cret")
        return AuthResult(success=ok)

    server = SmtpServer(authenticator=authenticator, auth_require_tls=False)
    server.controller.start()
    try:
        add(store, member_of_school.id)
        assert send_pending_emails(store, server.config(user="leanschool", password="s3cret")) == 1
        assert len(server.messages) == 1 and logins == [b"leanschool"]
    finally:
        server.controller.stop()


def test_smtp_settings_from_the_environment():
    assert SmtpConfig.from_env({}) is None
    assert SmtpConfig.from_env({"SMTP_HOST": "mail.orel-edu.ru"}) == SmtpConfig(
        host="mail.orel-edu.ru", port=25, sender="leanschool@mail.orel-edu.ru")
    cfg = SmtpConfig.from_env({"SMTP_HOST": "mail", "SMTP_PORT": "587", "SMTP_FROM": "Бережливая школа <ls@x.ru>",
                               "SMTP_USER": "u", "SMTP_PASSWORD": "p", "SMTP_STARTTLS": "true"})
    assert (cfg.port, cfg.sender, cfg.user, cfg.password, cfg.starttls) == \
        (587, "Бережливая школа <ls@x.ru>", "u", "p", True)
    with pytest.raises(ValueError):
        SmtpConfig.from_env({"SMTP_HOST": "mail", "SMTP_PORT": "twenty-five"})


def test_the_stall_scan_notifications_reach_the_inbox(store, make, world, member_of_school, head_of_school,
                                                     smtp_server, frozen_clock):
    make.project(world.school, member_of_school.actor, leader_id=member_of_school.id)
    frozen_clock.advance(days=15)
    assert scheduler.stall_scan(store)["notified"] == 2
    assert send_pending_emails(store, smtp_server.config()) == 2
    assert sorted(m["To"] for m in smtp_server.messages) == sorted([member_of_school.email, head_of_school.email])
    assert all(m["Subject"] == "Lean School: Проект остановился" for m in smtp_server.messages)
    assert all("Диагностика" in m.get_content() for m in smtp_server.messages)


def test_a_kind_muted_on_the_account_page_is_never_emailed(store, make, smtp_server, member_of_school,
                                                           head_of_school):
    from engine.services.notifications import set_email_mutes
    make.call(set_email_mutes, member_of_school.actor, ["commented"])
    muted = add(store, member_of_school.id, kind="commented", text=Text("Комментарий", "A comment"))
    wanted = add(store, member_of_school.id, kind="transition_rejected", text=Text("Отклонено", "Rejected"))
    others = add(store, head_of_school.id, kind="commented", text=Text("Комментарий", "A comment"))
    assert send_pending_emails(store, smtp_server.config()) == 2
    assert sorted(str(m["To"]) for m in smtp_server.messages) == sorted([member_of_school.email,
                                                                        head_of_school.email])
    subjects = {str(m["To"]): str(m["Subject"]) for m in smtp_server.messages}
    assert subjects[member_of_school.email] == "Lean School: Запрос отклонён"
    sent = emailed(store)
    assert sent[muted] is None and sent[wanted] is not None and sent[others] is not None
    with store.uow() as uow:  # still in the bell
        assert unread_count(uow.session, member_of_school.id) == 2
    assert send_pending_emails(store, smtp_server.config()) == 0  # and never later
