"""Passwords: argon2id hashes (argon2-cffi's `PasswordHasher`, the library's default parameters)
and the policy a new password meets. Tests may make hashing cheaper with `configure_hasher`;
production never calls it. No password and no hash ever appears in a message."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from xchange.errors import InvalidInput

MIN_PASSWORD_LENGTH = 10


MAX_PASSWORD_LENGTH = 1024  # a passphrase fits; a megabyte pasted by mistake is not hashed


@dataclass
class _Hashing:
    hasher: PasswordHasher
    # A hash of nothing in particular, verified against when the email is unknown so that a
    # wrong email takes as long as a wrong password (no timing hint about who has an account).
    dummy_hash: str | None = None


_hashing = _Hashing(PasswordHasher())


def configure_hasher(
    *,
    time_cost: int | None = None,
    memory_cost: int | None = None,
    parallelism: int | None = None,
) -> None:
    """Hash new passwords with other argon2id parameters; with no argument, the defaults again.

    For tests, which hash hundreds of passwords: `configure_hasher(time_cost=1,
    memory_cost=8 * 1024)` makes each hash take about a millisecond. Existing hashes keep
    verifying whatever the parameters, since each hash carries its own; a hash made with other
    parameters is renewed at its owner's next successful sign-in.
    """
    defaults = PasswordHasher()
    _hashing.hasher = PasswordHasher(
        time_cost=defaults.time_cost if time_cost is None else time_cost,
        memory_cost=defaults.memory_cost if memory_cost is None else memory_cost,
        parallelism=defaults.parallelism if parallelism is None else parallelism,
    )
    _hashing.dummy_hash = None


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, salted, in the PHC string form (`$argon2id$v=19$...`)."""
    return _hashing.hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`; False for a mismatch or a malformed hash."""
    try:
        return _hashing.hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password_policy(password: str, *, email: str | None = None) -> None:
    """Raise `InvalidInput` (a `ValueError`) unless `password` is acceptable for `email`.

    The rules: at least 10 characters (at most 1024), not only digits, not the email address
    nor the part before its @, whatever the case. The message never repeats the password.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"A password may have at most {MAX_PASSWORD_LENGTH} characters.")
    if password.isdigit():
        raise InvalidInput("A password may not be only digits.")
    if email:
        typed = password.strip().casefold()
        address = email.strip().casefold()
        if typed in {address, address.split("@", 1)[0]}:
            raise InvalidInput("A password may not be the email address.")


def dummy_hash() -> str:
    if _hashing.dummy_hash is None:
        _hashing.dummy_hash = hash_password("not a password anybody has")
    return _hashing.dummy_hash


def needs_rehash(password_hash: str) -> bool:
    """True when `password_hash` was made with other parameters than the hasher's now."""
    return _hashing.hasher.check_needs_rehash(password_hash)
