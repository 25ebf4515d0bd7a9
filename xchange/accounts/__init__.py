"""Who may do what: the access rules (roles, scopes, what a role may read or write), sign-in
and sessions (passwords, tokens, attempts), personal API tokens.

Its public names load on first use (`xchange.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xchange.lazy import lazy_names

if TYPE_CHECKING:
    from xchange.accounts.access import (
        acting_user,
        can_see_personal_data,
        engine_of,
        log,
        partnership_ids_readable,
        partnership_ids_writable,
        record_refusal,
        require_admin,
        require_kpi_read,
        require_read,
        require_review,
        require_write,
    )
    from xchange.accounts.attempts import (
        account_key,
        client_key,
        forget,
        key,
        lock_duration,
        lock_message,
        locked_until,
        record_failure,
    )
    from xchange.accounts.auth import DEACTIVATED, WRONG_CREDENTIALS, authenticate
    from xchange.accounts.passwords import (
        check_password_policy,
        configure_hasher,
        dummy_hash,
        hash_password,
        needs_rehash,
        verify_password,
    )
    from xchange.accounts.sessions import aware, revoke_sessions, session_current, session_expired
    from xchange.accounts.tokens import (
        create_token,
        hash_secret,
        list_tokens,
        mark_used,
        revoke_token,
        token_owner,
    )
    from xchange.accounts.users import (
        add_user,
        list_users,
        normalise_email,
        set_active,
        set_password,
        set_role_and_partnerships,
        user_by_email,
    )

# Public name -> the submodule that defines it (read by `__getattr__` and by
# tests/test_architecture.py, which follows these names to their module).
_SUBMODULES = {
    "account_key": "attempts",
    "acting_user": "access",
    "add_user": "users",
    "authenticate": "auth",
    "aware": "sessions",
    "can_see_personal_data": "access",
    "check_password_policy": "passwords",
    "client_key": "attempts",
    "configure_hasher": "passwords",
    "create_token": "tokens",
    "DEACTIVATED": "auth",
    "dummy_hash": "passwords",
    "engine_of": "access",
    "forget": "attempts",
    "hash_password": "passwords",
    "hash_secret": "tokens",
    "key": "attempts",
    "list_tokens": "tokens",
    "list_users": "users",
    "lock_duration": "attempts",
    "lock_message": "attempts",
    "locked_until": "attempts",
    "log": "access",
    "mark_used": "tokens",
    "needs_rehash": "passwords",
    "normalise_email": "users",
    "partnership_ids_readable": "access",
    "partnership_ids_writable": "access",
    "record_failure": "attempts",
    "record_refusal": "access",
    "require_admin": "access",
    "require_review": "access",
    "require_kpi_read": "access",
    "require_read": "access",
    "require_write": "access",
    "revoke_sessions": "sessions",
    "revoke_token": "tokens",
    "session_current": "sessions",
    "session_expired": "sessions",
    "set_active": "users",
    "set_password": "users",
    "set_role_and_partnerships": "users",
    "token_owner": "tokens",
    "user_by_email": "users",
    "verify_password": "passwords",
    "WRONG_CREDENTIALS": "auth",
}
__all__ = [
    "account_key",
    "acting_user",
    "add_user",
    "authenticate",
    "aware",
    "can_see_personal_data",
    "check_password_policy",
    "client_key",
    "configure_hasher",
    "create_token",
    "DEACTIVATED",
    "dummy_hash",
    "engine_of",
    "forget",
    "hash_password",
    "hash_secret",
    "key",
    "list_tokens",
    "list_users",
    "lock_duration",
    "lock_message",
    "locked_until",
    "log",
    "mark_used",
    "needs_rehash",
    "normalise_email",
    "partnership_ids_readable",
    "partnership_ids_writable",
    "record_failure",
    "record_refusal",
    "require_admin",
    "require_review",
    "require_kpi_read",
    "require_read",
    "require_write",
    "revoke_sessions",
    "revoke_token",
    "session_current",
    "session_expired",
    "set_active",
    "set_password",
    "set_role_and_partnerships",
    "token_owner",
    "user_by_email",
    "verify_password",
    "WRONG_CREDENTIALS",
]

__getattr__, __dir__ = lazy_names(__name__, _SUBMODULES)
