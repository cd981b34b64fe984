"""Password hashing and the password rule (stdlib only: the engine imports no web framework).

One replaceable hasher does all the hashing: production uses scrypt at a cost the OWASP
Password Storage Cheat Sheet recommends (N=2^16, r=8, p=2: the same work as its N=2^17, r=8,
p=1 in half the memory, 64 MiB a hash instead of 128); the test suite installs a
cheap one for the whole run (``set_hasher``), as the demo loader does for its users, whose
password is printed for everyone anyway. A hash carries its own cost settings
(``scrypt$n$r$p$salt$digest``), so any stored hash verifies whatever the current hasher,
and the cost can be raised later without locking anyone out.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources

from engine.text import Text

MAXMEM = 256 * 1024 * 1024  # scrypt needs about 128*N*r bytes (the p lanes run one after another)
MAX_N = 2**20  # a stored hash asking for more is refused, not computed
MIN_LENGTH, MAX_LENGTH = 8, 200
# At most this many scrypt computations at once in a process (each takes 64 MiB at the
# production cost): eight waitress threads signing in together would otherwise need 512 MiB.
CONCURRENT = 2
_slots = threading.BoundedSemaphore(CONCURRENT)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    with _slots:
        return hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p,
                              maxmem=MAXMEM, dklen=dklen)


class Scrypt:
    """scrypt with the given cost; ``hash`` salts each password afresh."""

    def __init__(self, n: int = 2**17, r: int = 8, p: int = 1, dklen: int = 32):
        self.n, self.r, self.p, self.dklen = n, r, p, dklen
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        salt = secrets.token_bytes(16)
        digest = _scrypt(password, salt, self.n, self.r, self.p, self.dklen)
        return f"scrypt${self.n}${self.r}${self.p}${salt.hex()}${digest.hex()}"

    def verify(self, password: str, stored: str) -> bool:
        """Whether ``password`` matches ``stored``, computed at the cost ``stored`` names."""
        parts = (stored or "").split("$")
        try:
            if len(parts) == 6 and parts[0] == "scrypt":
                n, r, p = (int(x) for x in parts[1:4])
                salt_hex, digest_hex = parts[4], parts[5]
            elif len(parts) == 3 and parts[0] == "scrypt":  # the first format: N=2^14, r=8, p=1
                n, r, p = 2**14, 8, 1
                salt_hex, digest_hex = parts[1], parts[2]
            else:
                return False
            if n > MAX_N or r * p > 64:
                return False
            digest = _scrypt(password, bytes.fromhex(salt_hex), n, r, p, len(digest_hex) // 2)
        except (ValueError, TypeError, OverflowError, MemoryError):
            return False
        return hmac.compare_digest(digest.hex(), digest_hex)

    def cheaper(self, stored: str) -> bool:
        """Whether ``stored`` was hashed at a lower cost than this hasher's (the hashes
        written before the cost was raised)."""
        parts = (stored or "").split("$")
        if len(parts) == 3 and parts[0] == "scrypt":
            return 2**14 * 8 * 1 < self.n * self.r * self.p
        try:
            n, r, p = (int(x) for x in parts[1:4])
        except ValueError:
            return False
        return len(parts) == 6 and n * r * p < self.n * self.r * self.p

    def dummy_hash(self) -> str:
        """A hash of no one's password at this hasher's cost: verifying against it when
        there is no such user spends the same time as for a real one."""
        if self._dummy is None:
            self._dummy = self.hash(secrets.token_urlsafe(16))
        return self._dummy


# OWASP's N=2^16, r=8, p=2 rather than its N=2^17, r=8, p=1: the same work (N*r*p), so the
# hashes written at 2^17 are not "cheaper" and nobody is rehashed, but half the memory: a web
# process that signs someone in peaked at 226 MB with 2^17 (the 200 MB target), 162 MB now.
PRODUCTION = Scrypt(n=2**16, r=8, p=2)
_hasher: Scrypt = PRODUCTION


# Passwords the system makes itself (an import's new users: 12 characters from 56, about 70
# bits) cannot be guessed whatever the cost, so they are hashed at this cost: 2,000 users take
# seconds, not the quarter of an hour the production cost would. The cost travels with the
# hash, and the first sign-in hashes the password again at the full cost (needs_rehash).
GENERATED_N = 2**12
_local = threading.local()


def hasher() -> Scrypt:
    return getattr(_local, "hasher", None) or _hasher


@contextmanager
def hashing_at_most(n: int) -> Iterator[None]:
    """Within the block, this thread hashes at cost ``n`` at the most (never dearer than the
    installed hasher); for passwords nobody chose: generated ones, the demo's printed one."""
    previous = getattr(_local, "hasher", None)
    _local.hasher = Scrypt(n=min(n, hasher().n))
    try:
        yield
    finally:
        _local.hasher = previous


def set_hasher(new: Scrypt | None) -> Scrypt:
    """Install a hasher (None puts the production one back); returns the one it replaced,
    so that a caller can restore it."""
    global _hasher
    previous, _hasher = _hasher, new or PRODUCTION
    return previous


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    """Verify against ``stored``; with no stored hash (no such user, or a deactivated one)
    verify against a dummy one, so that the answer takes as long and is False."""
    if not stored:
        _hasher.verify(password or "", _hasher.dummy_hash())
        return False
    return hasher().verify(password or "", stored)


def needs_rehash(stored: str | None) -> bool:
    """Whether a stored hash is cheaper than the current hasher's, to be hashed again at
    the next sign-in (when the password is known)."""
    return bool(stored) and hasher().cheaper(stored or "")


# --- the password rule ------------------------------------------------------------------------

# A password typed on the Russian layout while meaning the Latin one ("йцукен" is "qwerty")
_RU_TO_LATIN = str.maketrans("йцукенгшщзхъфывапролджэячсмитьбюё",
                             "qwertyuiop[]asdfghjkl;'zxcvbnm,.`")


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list (engine/data/common_passwords.txt), lower case; '#' starts a comment."""
    text = resources.files("engine").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def password_problem(password: str, email: str = "") -> Text | None:
    """Why ``password`` may not be used by the user with ``email``, or None when it may:
    8 to 200 characters, not the e-mail (or its name part) and not a common password."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return Text(f"Не короче {MIN_LENGTH} символов", f"At least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        return Text(f"Не длиннее {MAX_LENGTH} символов", f"At most {MAX_LENGTH} characters")
    folded = password.strip().lower()
    email = (email or "").strip().lower()
    if email and folded in (email, email.partition("@")[0]):
        return Text("Пароль не должен совпадать с адресом электронной почты",
                    "The password must not be the e-mail address")
    common = common_passwords()
    if folded in common or folded.translate(_RU_TO_LATIN) in common:
        return Text("Это один из самых распространённых паролей: придумайте другой",
                    "This is one of the most common passwords: choose another")
    return None
