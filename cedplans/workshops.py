"""Workshop join codes: a short code an officer shows on the projector, which lets anyone
who types it take part in one plan's workshop as a resident, until it runs out.

Codes are six characters from an alphabet without look-alikes (no 0/O, 1/I/L), drawn by
:mod:`secrets`; 31^6 is about 900 million, and a code lives for an evening. Each device
that joins still votes once per idea (``app.participant``).
"""

from __future__ import annotations

import io
import secrets
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno

from atlas import audit, settings
from atlas.access import Role, Viewer
from atlas.errors import InvalidInput, NotAllowed
from atlas.store import Store, utc_now
from cedplans.repository import get_plan

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
MAX_HOURS = 24 * 14
"""A code lasts at most a fortnight: long enough for a consultation period's drop-ins."""


@dataclass(frozen=True)
class Workshop:
    code: str
    plan_id: int
    opened_by: str
    opened_at: datetime
    expires_at: datetime
    closed_at: datetime | None

    def open_at(self, when: datetime) -> bool:
        return self.closed_at is None and when < self.expires_at


def normalise(code: str) -> str:
    """A code as typed (spaces, dashes, lower case) in its stored form."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def open_workshop(store: Store, plan_id: int, *, by: str, hours: float = settings.WORKSHOP_CODE_HOURS) -> Workshop:
    """Open a workshop on plan ``plan_id`` with a new code valid for ``hours``."""
    if not (0 < hours <= MAX_HOURS):
        raise InvalidInput(f"hours: a code lasts between a few minutes and {MAX_HOURS} hours, not {hours}.")
    plan = get_plan(store, plan_id)
    now = utc_now()
    with store.transaction():
        while True:
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            if not store.con.execute("SELECT 1 FROM workshop_codes WHERE code = ?", [code]).fetchone():
                break
        store.con.execute("INSERT INTO workshop_codes VALUES (?, ?, ?, ?, ?, NULL)",
                          [code, plan_id, by, now, now + timedelta(hours=hours)])
        audit.record(store, entity="plan", entity_id=plan_id, action="open workshop", by=by,
                     summary=f"workshop opened on {plan.title} for {hours:g} hours")
    return get_workshop(store, code)


def get_workshop(store: Store, code: str) -> Workshop:
    found = store.records(Workshop, "SELECT * FROM workshop_codes WHERE code = ?", [normalise(code)])
    if not found:
        raise NotAllowed("That workshop code is not known; check it against the screen.")
    return found[0]


def close_workshop(store: Store, code: str, *, by: str) -> None:
    workshop = get_workshop(store, code)
    with store.transaction():
        store.con.execute("UPDATE workshop_codes SET closed_at = ? WHERE code = ?", [utc_now(), workshop.code])
        audit.record(store, entity="plan", entity_id=workshop.plan_id, action="close workshop", by=by,
                     summary=f"workshop code {workshop.code} closed")


def open_workshops(store: Store, plan_id: int | None = None) -> list[Workshop]:
    """Workshops whose codes still let people in, newest first."""
    return store.records(
        Workshop, "SELECT * FROM workshop_codes WHERE closed_at IS NULL AND expires_at > ? "
                  "AND (? IS NULL OR plan_id = ?) ORDER BY opened_at DESC", [utc_now(), plan_id, plan_id])


def join(store: Store, code: str, *, participant: str) -> Viewer:
    """The viewer for someone who typed ``code``: a resident on its plan alone, named by
    their device's participant token (never by a person's name)."""
    workshop = get_workshop(store, code)
    if not workshop.open_at(utc_now()):
        raise NotAllowed("That workshop code has run out; ask the facilitator for today's code.")
    return Viewer(name=participant, role=Role.RESIDENT, plan_id=workshop.plan_id)


WORKSHOP_PATH = "/workshop"
"""The workshop page's address in the app, the same in every language."""


def join_url(base_url: str, code: str) -> str:
    """The link a QR code holds: the app at ``base_url`` (its address, or any page of it,
    such as ``https://atlas.example.org/plan_sketcher``), its workshop page, and the code."""
    base = urllib.parse.urlsplit(base_url.strip() if "://" in base_url else f"http://{base_url.strip()}")
    if not base.netloc:
        raise InvalidInput(f"{base_url!r} is not the app's address; give one such as https://atlas.example.org")
    return urllib.parse.urlunsplit((base.scheme, base.netloc, WORKSHOP_PATH,
                                    urllib.parse.urlencode({"code": normalise(code)}), ""))


def qr_svg(url: str) -> str:
    """A QR code of ``url`` as an SVG document, for the projector and the paper pack."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, title="Workshop join link")
    return out.getvalue().decode("utf-8")


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()
