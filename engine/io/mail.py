"""E-mail transport: SMTP settings (SMTP_HOST ... through engine.config.Settings), one
message in the recipient's language, and a connection (STARTTLS, login)."""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from engine import clock, config
from engine.text import Text
from engine.vocab import NOTIFICATION_TITLES

SUBJECTS: dict[str, Text] = {kind.value: Text(*title) for kind, title in NOTIFICATION_TITLES.items()}
DEFAULT_SUBJECT = Text("Уведомление", "Notification")
FOOTER = Text("Это автоматическое письмо Lean School; уведомление видно и в системе (колокольчик).",
              "This is an automatic message from Lean School; the notification is also shown in the app.")

SMTP_KEYS = ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "leanschool@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str | None] | None = None) -> SmtpConfig | None:
        """SMTP_HOST, SMTP_PORT (25), SMTP_FROM, SMTP_USER, SMTP_PASSWORD, SMTP_STARTTLS,
        from ``env`` or else the settings (engine.config.Settings); None when SMTP_HOST is
        not set (notifications stay in-app only)."""
        if env is None:
            env = config.settings().model_dump(include=set(SMTP_KEYS))
        host = (env.get("SMTP_HOST") or "").strip()
        if not host:
            return None
        port_text = (env.get("SMTP_PORT") or "").strip()
        try:
            port = int(port_text) if port_text else 25
        except ValueError:
            raise ValueError(f"SMTP_PORT must be a number, not {port_text!r}") from None
        return cls(host=host, port=port,
                   sender=(env.get("SMTP_FROM") or "").strip() or f"leanschool@{host}",
                   user=(env.get("SMTP_USER") or "").strip() or None,
                   password=env.get("SMTP_PASSWORD") or None,
                   starttls=(env.get("SMTP_STARTTLS") or "").strip().lower() in ("1", "true", "yes", "on"))


def compose(smtp: SmtpConfig, to: str, locale: str | None, kind: str, text: Text,
            at: datetime) -> EmailMessage:
    """One e-mail in the recipient's language (Russian unless the user chose English)."""
    msg = EmailMessage()
    msg["From"] = smtp.sender
    msg["To"] = to
    msg["Subject"] = "Lean School: " + SUBJECTS.get(kind, DEFAULT_SUBJECT).get(locale)
    msg["Date"] = format_datetime(clock.as_utc(at))
    msg["Message-ID"] = make_msgid(domain="leanschool")
    msg.set_content(f"{text.get(locale)}\n\n-- \n{FOOTER.get(locale)}\n")
    return msg


def connect(smtp: SmtpConfig) -> smtplib.SMTP:
    conn = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        if smtp.starttls:
            conn.starttls(context=ssl.create_default_context())
        if smtp.user:
            conn.login(smtp.user, smtp.password or "")
    except BaseException:
        conn.close()
        raise
    return conn
