"""A local multiplier in the style of LM3 (the New Economics Foundation's "Local Multiplier
3"): how much of an anchor's spend goes round the local economy again.

- **Round 1** is the anchor's spend in the period, all of it, wherever its suppliers are.
- **Round 2** is what the anchor's *local* suppliers re-spend with local suppliers of their
  own: each local supplier's spend times its ``local_supplier_share``.
- **Round 3** is what their staff who live locally are paid, counted as those employees'
  local spend: each local supplier's spend times ``staff_cost_share`` times
  ``local_staff_share``.

``LM3 = (round 1 + round 2 + round 3) / round 1``: 1 when none of the money stays, at most 3.

The three shares of each supplier come from a survey table (:func:`read_survey`), else from
default shares by the spend's category (:data:`DEFAULT_SHARES`), which are planning
assumptions of this tool, not measured figures. Every assumption behind a figure is
returned beside it (:attr:`Lm3.assumptions`), in words.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from atlas.errors import InvalidInput
from atlas.org_matching import normalise_name

METHOD = (
    "LM3 (the New Economics Foundation's Local Multiplier 3): round 1 is the anchor's spend; round 2 is what its "
    "suppliers inside the area re-spend with local suppliers of their own; round 3 is what those suppliers pay "
    "staff who live locally, counted as the staff's local spend. LM3 = (round 1 + round 2 + round 3) / round 1, "
    "from 1 (no money stays) to 3."
)
SURVEY_COLUMNS = ("supplier", "local_supplier_share", "local_staff_share", "staff_cost_share")
"""The survey table's columns: the supplier (its name as in the spend file, or its asset id)
and three shares of its income, each from 0 to 1 or as a percentage (``40%``)."""


@dataclass(frozen=True)
class Shares:
    """How a supplier spends its income: ``local_supplier_share`` with local suppliers,
    ``staff_cost_share`` on staff, of whom ``local_staff_share`` live locally (each 0-1)."""

    local_supplier_share: float
    local_staff_share: float
    staff_cost_share: float


@dataclass(frozen=True)
class DefaultShares:
    """Shares assumed for spend whose category matches ``pattern`` (a regular expression
    tried against the category in lower case), with ``why`` in words."""

    name: str
    pattern: str
    shares: Shares
    why: str


DEFAULT_SHARES: tuple[DefaultShares, ...] = (
    DefaultShares(
        "care, cleaning and security",
        r"\b(care|carers|social care|home care|clean\w*|secur\w*|laundr\w*|domestic\w*|housekeep\w*|caretak\w*|"
        r"porter\w*|guard\w*)\b",
        Shares(local_supplier_share=0.15, local_staff_share=0.60, staff_cost_share=0.60),
        "these services are mostly people's time: wages are most of the cost and little is bought in, and the "
        "staff work on the anchor's own sites, so most travel from nearby."),
    DefaultShares(
        "food and catering",
        r"\b(cater\w*|food\w*|meals?|kitchens?|provisions|catering)\b",
        Shares(local_supplier_share=0.30, local_staff_share=0.60, staff_cost_share=0.35),
        "ingredients are a large part of the cost and a local caterer can buy some of them locally; kitchen staff "
        "mostly live near their work."),
    DefaultShares(
        "building, repairs and grounds",
        r"\b(build\w*|construct\w*|repair\w*|maint\w*|grounds?|works|landscap\w*|plumb\w*|electrical|decorat\w*|"
        r"roof\w*|refurb\w*)\b",
        Shares(local_supplier_share=0.30, local_staff_share=0.50, staff_cost_share=0.40),
        "materials and sub-contractors take much of the income, often from local merchants and trades; site staff "
        "travel further than care or catering staff."),
    DefaultShares(
        "goods, equipment and energy",
        r"\b(equipment|suppl(y|ies)|goods|materials?|stationery|furniture|hardware|vehicles?|fuel|energy|"
        r"electricity|gas|utilit\w*|computers?|drugs|medicines?|consumables)\b",
        Shares(local_supplier_share=0.10, local_staff_share=0.50, staff_cost_share=0.15),
        "a local seller of goods passes most of its income to manufacturers and wholesalers elsewhere; little of "
        "it stays as wages."),
    DefaultShares(
        "professional and digital services",
        r"\b(consult\w*|professional|legal|audit\w*|accountan\w*|financ\w*|software|licen[cs]\w*|ict|it services|"
        r"digital|advertis\w*|marketing)\b",
        Shares(local_supplier_share=0.15, local_staff_share=0.40, staff_cost_share=0.55),
        "mostly staff time, but such firms recruit from a wide area and buy from national suppliers."),
)
"""Default shares by category, the first whose pattern matches winning. They are round
planning assumptions of this tool, chosen from how each kind of supplier earns and spends
its money; no published figure is claimed for them. A survey replaces them."""

OTHER_SHARES = DefaultShares(
    "other spend", "",
    Shares(local_supplier_share=0.20, local_staff_share=0.50, staff_cost_share=0.35),
    "a middle figure for spend whose category says nothing about how the supplier spends its income.")
"""The shares assumed when no :data:`DEFAULT_SHARES` pattern matches the category."""


@dataclass(frozen=True)
class SurveyRow:
    """One supplier's answers; a blank share is None (the default for its category is used)."""

    row: int
    """The row in the file as a spreadsheet numbers it (the header is row 1)."""
    supplier: str
    asset_id: int | None
    """Set when the supplier cell is an asset id rather than a name."""
    local_supplier_share: float | None
    local_staff_share: float | None
    staff_cost_share: float | None


@dataclass(frozen=True)
class Lm3Survey:
    """A survey table of local suppliers' shares, read by :func:`read_survey`."""

    name: str
    """The file's name, for messages and assumptions."""
    rows: tuple[SurveyRow, ...]


@dataclass(frozen=True)
class LocalSpend:
    """Spend with one local supplier in one category (credit notes netted)."""

    supplier: str
    asset_id: int | None
    category: str | None
    amount: float


@dataclass(frozen=True)
class Lm3Line:
    """How one local supplier's spend in one category adds to rounds 2 and 3, and why."""

    supplier: str
    asset_id: int | None
    category: str | None
    amount: float
    shares: Shares
    basis: str
    """Where the shares come from: ``survey row 3`` or ``default: food and catering``."""
    round2: float
    round3: float


@dataclass(frozen=True)
class Lm3:
    """The multiplier (None when round 1 is not above zero), its rounds in the spend's
    currency, the method and every assumption behind it, in words."""

    value: float | None
    rounds: tuple[float, float, float]
    assumptions: tuple[str, ...]
    method: str = METHOD
    lines: tuple[Lm3Line, ...] = ()


def default_shares(category: str | None) -> DefaultShares:
    """The default shares for spend of ``category`` (:data:`OTHER_SHARES` when none fits)."""
    text = (category or "").lower()
    for default in DEFAULT_SHARES:
        if re.search(default.pattern, text):
            return default
    return OTHER_SHARES


def read_survey(path: Path | str) -> Lm3Survey:
    """The survey table in the CSV file ``path`` (UTF-8, a byte-order mark allowed)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path.name}: not UTF-8 text (byte {exc.start}); save the survey as CSV UTF-8.") from exc
    except OSError as exc:
        raise InvalidInput(f"{path.name}: cannot be read ({exc.strerror}).") from exc
    return parse_survey(text, path.name)


def parse_survey(text: str, name: str) -> Lm3Survey:
    """The survey table in CSV ``text`` (``name`` is the file's, for messages). Raises
    :class:`InvalidInput` naming the file, row and field of the first fault."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in SURVEY_COLUMNS if c not in header]
    if missing:
        raise InvalidInput(f"{name}: the survey has no {', '.join(missing)} column; its columns must be "
                           f"{', '.join(SURVEY_COLUMNS)}.")
    reader.fieldnames = header
    rows: list[SurveyRow] = []
    seen: dict[object, int] = {}
    for number, raw in enumerate(reader, start=2):
        supplier = (raw.get("supplier") or "").strip()
        if not supplier:
            if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
                continue  # a blank line
            raise InvalidInput(f"{name}, row {number}, supplier: name the supplier (as in the spend file) "
                               "or give its asset id.")
        shares = {c: _share(raw.get(c), name, number, c) for c in SURVEY_COLUMNS[1:]}
        supplied, staff = shares["local_supplier_share"], shares["staff_cost_share"]
        if supplied is not None and staff is not None and supplied + staff > 1 + 1e-9:
            raise InvalidInput(f"{name}, row {number}, staff_cost_share: {staff:.0%} on staff and {supplied:.0%} "
                               "with local suppliers is more than all of the supplier's income; check the shares.")
        asset_id = int(supplier) if supplier.isdigit() else None
        key: object = ("asset", asset_id) if asset_id is not None else ("name", normalise_name(supplier))
        if key in seen:
            raise InvalidInput(f"{name}, row {number}, supplier: {supplier!r} is already on row {seen[key]}; "
                               "give each supplier one row.")
        seen[key] = number
        rows.append(SurveyRow(row=number, supplier=supplier, asset_id=asset_id, **shares))
    if not rows:
        raise InvalidInput(f"{name}: the survey has no rows.")
    return Lm3Survey(name=name, rows=tuple(rows))


def _share(value: str | None, name: str, row: int, field: str) -> float | None:
    text = (value or "").strip()
    if not text:
        return None
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        number = math.nan
    if percent:
        number /= 100
    if not math.isfinite(number) or not 0 <= number <= 1:
        raise InvalidInput(f"{name}, row {row}, {field}: {text!r} is not a share; give a number from 0 to 1 "
                           "or a percentage such as 40%.")
    return number


def lm3(local: Sequence[LocalSpend], *, total: float, unknown: float, area: str, period: str,
        money: Callable[[float], str], survey: Lm3Survey | None = None) -> Lm3:
    """The LM3 of spend ``total`` of which ``local`` went to suppliers inside ``area`` and
    ``unknown`` to suppliers of unknown location, over ``period`` (words). ``money`` writes
    an amount in the spend's currency (``amount -> str``)."""
    write = money
    by_id = {r.asset_id: r for r in survey.rows if r.asset_id is not None} if survey else {}
    by_name = {normalise_name(r.supplier): r for r in survey.rows if r.asset_id is None} if survey else {}
    used_rows: set[int] = set()
    used_defaults: dict[str, tuple[DefaultShares, set[str]]] = {}
    lines: list[Lm3Line] = []
    for spend in local:
        default = default_shares(spend.category)
        answer = by_id.get(spend.asset_id) if spend.asset_id is not None else None
        answer = answer or by_name.get(normalise_name(spend.supplier))
        values = {f: getattr(default.shares, f) for f in SURVEY_COLUMNS[1:]}
        blanks: list[str] = []
        if answer is None:
            basis = f"default: {default.name}"
        else:
            used_rows.add(answer.row)
            blanks = [f for f in SURVEY_COLUMNS[1:] if getattr(answer, f) is None]
            values.update({f: getattr(answer, f) for f in SURVEY_COLUMNS[1:] if f not in blanks})
            basis = f"survey row {answer.row}" + (f" (default {default.name} for {', '.join(blanks)})"
                                                   if blanks else "")
        if answer is None or blanks:
            used_defaults.setdefault(default.name, (default, set()))[1].add(spend.category or "no category")
        shares = Shares(**values)
        lines.append(Lm3Line(supplier=spend.supplier, asset_id=spend.asset_id, category=spend.category,
                             amount=spend.amount, shares=shares, basis=basis,
                             round2=spend.amount * shares.local_supplier_share,
                             round3=spend.amount * shares.staff_cost_share * shares.local_staff_share))
    rounds = (float(total), float(sum(line.round2 for line in lines)), float(sum(line.round3 for line in lines)))
    value = sum(rounds) / rounds[0] if rounds[0] > 0 else None
    assumptions = [
        f"Period: {period}. Credit notes are netted against each supplier's payments.",
        f"Round 1 is all the spend, {write(total)}, wherever its suppliers are.",
        f"Local means a supplier placed inside {area} (by the postcode the spend file gives, else by the asset it "
        "was matched to); only local suppliers add to rounds 2 and 3.",
        f"Suppliers of unknown location ({write(unknown)}) count as non-local.",
        "Round 3 counts the wages local suppliers pay staff who live locally as spent locally in full: an upper "
        "bound, as staff spend part of their pay elsewhere.",
    ]
    if rounds[0] <= 0:
        assumptions.append("The spend in the period is not above zero (credit notes outweigh payments), so there "
                           "is no multiplier to give.")
    if survey is not None:
        suppliers = {(line.asset_id, normalise_name(line.supplier)) for line in lines}
        answered = {(line.asset_id, normalise_name(line.supplier)) for line in lines
                    if line.basis.startswith("survey")}
        assumptions.append(f"Survey {survey.name}: shares for {len(answered)} of the {len(suppliers)} local "
                           "suppliers; the rest use the default shares for their category.")
        for r in survey.rows:
            if r.row not in used_rows:
                assumptions.append(f"Survey {survey.name}, row {r.row} ({r.supplier}) names no supplier inside "
                                   f"{area} in this period: not used.")
    for default, categories in used_defaults.values():
        s = default.shares
        assumptions.append(
            f"Default shares for {default.name} (categories: {', '.join(sorted(categories))}): "
            f"{s.local_supplier_share:.0%} of a local supplier's income re-spent with local suppliers; staff costs "
            f"{s.staff_cost_share:.0%} of its income, {s.local_staff_share:.0%} of its staff living locally. "
            f"Why: {default.why}")
    if used_defaults:
        assumptions.append("Default shares are planning assumptions of this tool, not measured figures; a survey "
                           "of the suppliers replaces them.")
    return Lm3(value=value, rounds=rounds, assumptions=tuple(assumptions), lines=tuple(lines))
