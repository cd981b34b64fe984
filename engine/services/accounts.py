"""A person's own account: password, interface language, and the browser sessions
that end when they sign out (the per-user session epoch)."""
from __future__ import annotations

from engine.db import UnitOfWork
from engine.errors import ValidationFailed
from engine.models import User
from engine.passwords import hash_password, password_problem, verify_password
from engine.policy import Actor
from engine.services.admin import end_sessions
from engine.services.common import get_or_404, load_actor, record
from engine.text import Text
from engine.vocab import EventKind

LOCALES = ("ru", "en")


def set_locale(uow: UnitOfWork, actor: Actor, locale: str) -> User:
    if locale not in LOCALES:
        raise ValidationFailed({"locale": Text("Допустимо: ru, en", "Allowed: ru, en")})
    user = get_or_404(uow.session, User, actor.user_id, "user")
    user.locale = locale
    record(uow.session, actor, EventKind.LOCALE_CHANGED, None, {"user_id": user.id, "locale": locale})
    uow.commit()
    return user


def change_password(uow: UnitOfWork, actor: Actor, current: str, new: str, repeat: str) -> int:
    """Set the user's own password. Every browser session of theirs ends; returns the new
    session epoch, for the caller to sign its own browser in again."""
    user = get_or_404(uow.session, User, actor.user_id, "user")
    if not verify_password(current or "", user.password_hash):
        raise ValidationFailed({"current": Text("Неверный текущий пароль", "The current password is wrong")})
    problem = password_problem(new, user.email)
    if problem is not None:
        raise ValidationFailed({"new": problem})
    if new != repeat:
        raise ValidationFailed({"repeat": Text("Пароли не совпадают", "The passwords do not match")})
    user.password_hash = hash_password(new)
    end_sessions(uow.session, user)  # a copied cookie dies; the caller signs its own browser in again
    record(uow.session, actor, EventKind.PASSWORD_CHANGED, None, {"user_id": user.id})
    uow.session.flush()
    epoch: int = user.session_epoch  # read back in this transaction: nobody else's raise slips in
    uow.commit()
    return epoch


def reset_password(uow: UnitOfWork, actor: Actor, user_id: int, new: str) -> None:
    """An admin sets a new password for someone."""
    from engine.policy import require_admin
    require_admin(actor)
    user = get_or_404(uow.session, User, user_id, "user")
    problem = password_problem(new, user.email)
    if problem is not None:
        raise ValidationFailed({"password": problem})
    user.password_hash = hash_password(new)
    end_sessions(uow.session, user)
    record(uow.session, actor, EventKind.PASSWORD_RESET, None, {"user_id": user.id})
    uow.commit()


# --- browser sessions ----------------------------------------------------------------------

def session_epoch(uow: UnitOfWork, user_id: int) -> int:
    """The user's current session epoch, to store in a browser session at sign-in."""
    user = get_or_404(uow.session, User, user_id, "user")
    return user.session_epoch or 0


def actor_for_session(uow: UnitOfWork, user_id: object, epoch: object) -> tuple[User, Actor] | None:
    """The user and actor a browser session stands for, or None when it no longer counts:
    no such user, the user deactivated, or the session signed in before the user's epoch was
    raised (a sign-out, a password change or reset, a deactivation or a role removed).
    A session without an epoch (signed in before epochs existed) counts as epoch 0."""
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    if epoch is None:
        epoch = 0
    if not isinstance(epoch, int) or isinstance(epoch, bool):
        return None
    user = uow.session.get(User, user_id) if -2**31 <= user_id < 2**31 else None
    if user is None or not user.is_active or (user.session_epoch or 0) != epoch:
        return None
    return user, load_actor(uow.session, user_id)


def sign_out(uow: UnitOfWork, actor: Actor) -> None:
    """End every browser session of the signed-in user (this one and any copy of its cookie)."""
    user = get_or_404(uow.session, User, actor.user_id, "user")
    end_sessions(uow.session, user)
    record(uow.session, actor, EventKind.SIGNED_OUT, None, {"user_id": user.id})
    uow.commit()
