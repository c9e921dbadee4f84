"""Who is asking: roles, what each may do, and the :class:`Viewer` that every query which
can return something confidential takes.

Five roles share one atlas. A visitor who has not signed in sees the public atlas only;
a person who joined a workshop with its code is a resident on that one plan. Reads are
filtered below the pages: a query handed a resident's viewer never returns a contact, an
officer's note or a person's precise place, whatever page, download or export asked.
Writes are checked with :meth:`Viewer.require` before they are made. The command line
runs as the store's owner (:func:`command_line`), but still leaves confidential fields
out of listings and exports unless asked.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from enum import StrEnum

from atlas.errors import NotAllowed
from atlas.i18n import N_


class Role(StrEnum):
    RESIDENT = "resident"
    RESEARCHER = "researcher"
    OFFICER = "officer"
    DEVELOPER = "developer"
    ADMIN = "admin"


ROLES = tuple(r.value for r in Role)

_ROLE_WORDS = (N_("resident"), N_("researcher"), N_("officer"), N_("developer"), N_("admin"), N_("visitor"))
# The role names as people read them, marked for the catalogues (translated where shown).


class Permission(StrEnum):
    """What a role may do; the value says it in words for a refusal message."""

    TAKE_PART = "pin ideas and vote in a workshop"
    EDIT_REGISTER = "add, edit and verify assets, needs and offers"
    IMPORT = "import files"
    PLAN = "work on plans, matches and site dossiers"
    CONFIDENTIAL = "see confidential notes, contact details and where people live"
    MODERATE = "moderate ideas and matches"
    FIND_TENANTS = "use the tenant finder"
    ADMINISTER = "manage accounts, settings and backups"


_P = Permission
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.RESIDENT: frozenset({_P.TAKE_PART}),
    Role.RESEARCHER: frozenset({_P.TAKE_PART, _P.EDIT_REGISTER, _P.IMPORT}),
    Role.DEVELOPER: frozenset({_P.TAKE_PART, _P.FIND_TENANTS}),
    Role.OFFICER: frozenset({_P.TAKE_PART, _P.EDIT_REGISTER, _P.IMPORT, _P.PLAN, _P.CONFIDENTIAL, _P.MODERATE,
                             _P.FIND_TENANTS}),
    Role.ADMIN: frozenset(Permission),
}
"""Each role's permissions. An officer does everything a researcher does; an admin all."""


def roles_that_may(permission: Permission) -> list[Role]:
    return [role for role in Role if permission in GRANTS[role]]


@dataclass(frozen=True)
class Viewer:
    """Who is asking. ``role`` None is a visitor who has not signed in; ``plan_id`` set
    means a workshop join code, with rights on that one plan only."""

    name: str | None = None
    role: Role | None = None
    plan_id: int | None = None
    username: str | None = None
    withhold_confidential: bool = False
    """Leave confidential fields out even where the role may see them (the command line
    without ``--include-confidential``)."""

    @property
    def signed_in(self) -> bool:
        return self.role is not None

    @property
    def label(self) -> str:
        """How the viewer is named on screen and in records of who did what. A workshop
        participant is named by their plan, never by their device's token."""
        if self.plan_id is not None and self.role is Role.RESIDENT:
            return f"workshop participant (plan {self.plan_id})"
        return self.name or (self.role.value if self.role else "visitor")

    @property
    def role_words(self) -> str:
        """'a resident', 'an officer' ... for sentences."""
        if self.role is None:
            return "a visitor"
        return ("an " if self.role.value[0] in "aeiou" else "a ") + self.role.value

    def can(self, permission: Permission, *, plan_id: int | None = None) -> bool:
        if self.role is None or permission not in GRANTS[self.role]:
            return False
        # A join code gives resident rights on its own plan, and nothing elsewhere.
        return self.plan_id is None or plan_id is None or plan_id == self.plan_id

    def require(self, permission: Permission, *, plan_id: int | None = None) -> None:
        """Raise :class:`NotAllowed` unless this viewer may do ``permission``."""
        if self.can(permission, plan_id=plan_id):
            return
        if self.role is not None and self.plan_id is not None and permission in GRANTS[self.role]:
            raise NotAllowed(f"Your workshop code is for plan {self.plan_id} only.")
        who = ", ".join(r.value + "s" for r in roles_that_may(permission))
        if self.role is None:
            raise NotAllowed(f"Sign in to {permission.value} (allowed to: {who}).")
        raise NotAllowed(f"As a {self.role.value} you cannot {permission.value}; that is for {who}.")

    @property
    def sees_confidential(self) -> bool:
        return not self.withhold_confidential and self.can(Permission.CONFIDENTIAL)


PUBLIC = Viewer()
"""A visitor who has not signed in: the public atlas only."""

WHOLE_RECORD = Viewer(name="the atlas", role=Role.ADMIN)
"""The atlas reading a record whole to change, check or audit it. Never handed to a page:
reading the audit trail back withholds what its reader may not see."""


def as_role(role: Role | str, name: str | None = None) -> Viewer:
    """A signed-in viewer of ``role`` (tests, the demo, and background jobs)."""
    role = Role(role)
    return Viewer(name=name or role.value, role=role)


def command_line(include_confidential: bool = False) -> Viewer:
    """The command line's viewer: the store's owner, who may do everything, but whose
    listings and exports leave confidential fields out unless ``include_confidential``."""
    user = _os_user()
    return Viewer(name=f"{user} (command line)", role=Role.ADMIN, username=user,
                  withhold_confidential=not include_confidential)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "owner"
