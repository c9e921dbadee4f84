"""Accounts: who may sign in, with which role, and their password's hash.

Passwords are hashed with Argon2id by argon2-cffi (its defaults follow RFC 9106) and
never stored or logged in clear. A store starts with no accounts; the first is made with
``atlas user add NAME --role admin``. Sign-in through an identity provider
(Streamlit's ``st.login``) finds the account by e-mail address as its user name, with no
password kept here.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import argon2

from atlas import audit, settings
from atlas.access import ROLES, Role, Viewer
from atlas.errors import InvalidInput, NotAllowed, NotFound
from atlas.store import Store, utc_now

MIN_PASSWORD_CHARS = 10
"""Long enough that guessing is slow even without rules about symbols (NIST SP 800-63B)."""
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{1,99}$")
_HASHER = argon2.PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a real password, used to take constant time")


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    display_name: str
    role: str
    created_at: datetime
    created_by: str
    has_password: bool

    def viewer(self) -> Viewer:
        return Viewer(name=self.display_name, role=Role(self.role), username=self.username)


_SELECT = ("SELECT id, username, display_name, role, created_at, created_by, password_hash IS NOT NULL AS has_password "
           "FROM users")


def _check(username: str, role: str, password: str | None) -> None:
    if not _USERNAME.match(username or ""):
        raise InvalidInput("user name: use 2-100 letters, digits and . _ @ + - (an e-mail address will do).")
    if role not in ROLES:
        raise InvalidInput(f"role: {role!r} is not one of {', '.join(ROLES)}.")
    if password is not None and len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"password: use at least {MIN_PASSWORD_CHARS} characters.")


def add_user(store: Store, username: str, *, role: str, password: str | None, display_name: str | None = None,
             by: str) -> Account:
    """Make an account. ``password`` None makes one that signs in only through the
    identity provider."""
    username = (username or "").strip()
    _check(username, role, password)
    name = (display_name or "").strip() or username
    if len(name) > 100:
        raise InvalidInput("display name: keep it under 100 characters.")
    with store.transaction():
        if store.con.execute("SELECT 1 FROM users WHERE lower(username) = lower(?)", [username]).fetchone():
            raise InvalidInput(f"user name: {username!r} is taken.")
        new_id = store.con.execute(
            "INSERT INTO users (username, display_name, role, password_hash, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [username, name, role, _HASHER.hash(password) if password else None, utc_now(), by],
        ).fetchone()[0]
        account = get_user(store, username)
        audit.record(store, entity="user", entity_id=new_id, action="add", by=by,
                     summary=f"account {username} added as {role}", after=_public(account))
    return account


def _public(account: Account) -> dict:
    return {k: v for k, v in asdict(account).items() if k not in ("id", "created_at")}


def get_user(store: Store, username: str) -> Account:
    found = find_user(store, username)
    if found is None:
        raise NotFound(f"There is no account {username!r}.")
    return found


def find_user(store: Store, username: str) -> Account | None:
    """The account called ``username``, or None."""
    found = store.records(Account, _SELECT + " WHERE lower(username) = lower(?)", [username.strip()])
    return found[0] if found else None


def list_users(store: Store) -> list[Account]:
    return store.records(Account, _SELECT + " ORDER BY role, username")


def count_admins(store: Store) -> int:
    return store.con.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0]


def set_role(store: Store, username: str, role: str, *, by: str) -> Account:
    before = get_user(store, username)
    _check(before.username, role, None)
    with store.transaction():
        if before.role == "admin" and role != "admin" and count_admins(store) == 1:
            raise NotAllowed("This is the last admin account; make another admin first.")
        store.con.execute("UPDATE users SET role = ? WHERE id = ?", [role, before.id])
        after = get_user(store, username)
        audit.record(store, entity="user", entity_id=before.id, action="set role", by=by,
                     summary=f"{before.username}'s role changed from {before.role} to {role}",
                     before=_public(before), after=_public(after))
    return after


def set_password(store: Store, username: str, password: str, *, by: str) -> None:
    account = get_user(store, username)
    _check(account.username, account.role, password)
    with store.transaction():
        store.con.execute("UPDATE users SET password_hash = ? WHERE id = ?", [_HASHER.hash(password), account.id])
        audit.record(store, entity="user", entity_id=account.id, action="set password", by=by,
                     summary=f"{account.username}'s password changed")


def remove_user(store: Store, username: str, *, by: str) -> None:
    account = get_user(store, username)
    with store.transaction():
        if account.role == "admin" and count_admins(store) == 1:
            raise NotAllowed("This is the last admin account; make another admin first.")
        store.con.execute("DELETE FROM users WHERE id = ?", [account.id])
        store.con.execute("DELETE FROM sign_in_sessions WHERE username = ?", [account.username])
        audit.record(store, entity="user", entity_id=account.id, action="remove", by=by,
                     summary=f"account {account.username} removed", before=_public(account))


def sign_in(store: Store, username: str, password: str) -> Account:
    """The account whose name and password these are; :class:`NotAllowed` otherwise, with
    one message for both an unknown name and a wrong password."""
    row = store.con.execute("SELECT password_hash FROM users WHERE lower(username) = lower(?)",
                            [(username or "").strip()]).fetchone()
    try:
        # An unknown name still costs one verification, so timing does not tell names apart.
        _HASHER.verify(row[0] if row and row[0] else _DUMMY_HASH, password or "")
        if not row or not row[0]:
            raise argon2.exceptions.VerifyMismatchError
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        raise NotAllowed("That user name and password do not match an account.") from None
    return get_user(store, username)


def start_session(store: Store, username: str, *, hours: float = settings.SIGN_IN_HOURS) -> str:
    """A new sign-in session for ``username``: a random token for the browser's cookie,
    kept here only as its SHA-256 hash, valid for ``hours``."""
    account = get_user(store, username)
    token = secrets.token_urlsafe(32)
    now = utc_now()
    with store.transaction():
        store.con.execute("DELETE FROM sign_in_sessions WHERE expires_at <= ?", [now])
        store.con.execute("INSERT INTO sign_in_sessions VALUES (?, ?, ?, ?)",
                          [_token_hash(token), account.username, now, now + timedelta(hours=hours)])
    return token


def resume_session(store: Store, token: str | None) -> Account | None:
    """The account a browser's sign-in token belongs to, if it is still valid (and the
    account still exists); None otherwise."""
    if not token:
        return None
    row = store.con.execute("SELECT username FROM sign_in_sessions WHERE token_hash = ? AND expires_at > ?",
                            [_token_hash(token), utc_now()]).fetchone()
    if row is None:
        return None
    try:
        return get_user(store, row[0])
    except NotFound:
        return None


def end_session(store: Store, token: str | None) -> None:
    if token:
        with store.transaction():
            store.con.execute("DELETE FROM sign_in_sessions WHERE token_hash = ?", [_token_hash(token)])


def _token_hash(token: str) -> str:
    # A token is 256 random bits, so a fast hash is enough; argon2 is for guessable passwords.
    return hashlib.sha256(token.encode()).hexdigest()


def for_identity(store: Store, email: str | None, name: str | None) -> Viewer:
    """The viewer for someone signed in by the identity provider: their account's role
    where an account has their e-mail address as its user name, else a resident."""
    if email:
        try:
            return get_user(store, email).viewer()
        except NotFound:
            pass
    return Viewer(name=name or email or "resident", role=Role.RESIDENT, username=email)
