"""A person's own account: password and interface language."""
from __future__ import annotations

from engine.db import UnitOfWork
from engine.errors import ValidationFailed
from engine.models import User
from engine.passwords import hash_password, password_problem, verify_password
from engine.policy import Actor
from engine.services.common import get_or_404, record
from engine.text import Text

LOCALES = ("ru", "en")


def set_locale(uow: UnitOfWork, actor: Actor, locale: str) -> User:
    if locale not in LOCALES:
        raise ValidationFailed({"locale": Text("Допустимо: ru, en", "Allowed: ru, en")})
    user = get_or_404(uow.session, User, actor.user_id, "user")
    user.locale = locale
    record(uow.session, actor, "locale_changed", None, {"user_id": user.id, "locale": locale})
    uow.commit()
    return user


def change_password(uow: UnitOfWork, actor: Actor, current: str, new: str, repeat: str) -> None:
    user = get_or_404(uow.session, User, actor.user_id, "user")
    if not verify_password(current or "", user.password_hash):
        raise ValidationFailed({"current": Text("Неверный текущий пароль", "The current password is wrong")})
    problem = password_problem(new, user.email)
    if problem is not None:
        raise ValidationFailed({"new": problem})
    if new != repeat:
        raise ValidationFailed({"repeat": Text("Пароли не совпадают", "The passwords do not match")})
    user.password_hash = hash_password(new)
    record(uow.session, actor, "password_changed", None, {"user_id": user.id})
    uow.commit()


def reset_password(uow: UnitOfWork, actor: Actor, user_id: int, new: str) -> None:
    """An admin sets a new password for someone."""
    from engine.policy import require_admin
    require_admin(actor)
    user = get_or_404(uow.session, User, user_id, "user")
    problem = password_problem(new, user.email)
    if problem is not None:
        raise ValidationFailed({"password": problem})
    user.password_hash = hash_password(new)
    record(uow.session, actor, "password_reset", None, {"user_id": user.id})
    uow.commit()
