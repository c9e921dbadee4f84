"""OCDS release and record packages (Contracts Finder, Find a Tender, TED) as spend lines.

Read: a release package (``{"releases": [...]}``), a record package (``{"records":
[{"compiledRelease": ...}]}``), a single release or a list of releases, in a JSON file or
in JSON Lines (one release or package a line). Releases of the same contracting process
(one ``ocid``) are merged oldest first, objects with the same ``id`` overwriting the
older fields, as OCDS compiles a record, so an award published twice counts once.

Each process gives lines in this order of preference, never two for the same money:

* a contract's ``implementation.transactions`` (payments actually made): one line each,
  dated by the transaction, paid to its ``payee`` (else the award's supplier);
* else a contract: its ``value``, dated ``dateSigned``, else ``period.startDate``, else
  its award's ``date``; suppliers from its award;
* else an award (status not pending, unsuccessful or cancelled): its ``value``, dated by
  the award (else ``contractPeriod.startDate``).

**Amounts are award and contract values where no transactions are published**: what was
agreed, not what was paid, and for a framework an upper limit. An award with several
suppliers has its value split equally between them (the package does not say how it is
shared); each such line is listed in the import's report with a reason starting "kept,".

A supplier is the party its reference points to: its name, its postcode
(``address.postalCode``) and its Companies House or charity number from an identifier of
scheme GB-COH or GB-CHC (``identifier``, ``additionalIdentifiers`` or an id such as
``GB-COH-01234567``). The category is the first item's classification description (a CPV
description such as "Construction work") from the contract, the award or the tender,
else the tender's ``mainProcurementCategory`` (goods, services, works).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from atlas.errors import InvalidInput
from atlas.importers.columns import shown
from atlas.importers.postcodes import normalise as normalise_postcode
from atlas.importers.summary import SkippedRow
from atlas.org_matching import normalise_charity_number, normalise_company_number
from atlas.spend import coded, values
from atlas.spend.lines import COLUMNS, SpendLines

JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
_NOT_SPENT = ("pending", "unsuccessful", "cancelled")
FIELDS = {"supplier": "suppliers/name", "amount": "value/amount", "date": "date",
          "category": "items/classification/description", "currency": "value/currency"}
"""Where each field is read from, as messages name it."""

Json = dict[str, Any]


def read(path: Path, *, currency: str) -> SpendLines:
    """The spend lines of an OCDS file; ``currency`` (the store's) stands in where a
    value states none."""
    file = str(path)
    json_lines = path.name.lower().endswith(JSON_LINES_SUFFIXES)
    releases = list(_releases(_documents(path, json_lines), file))
    if not releases:
        raise InvalidInput(f"{file} holds no OCDS releases (looked for a release or record package).")
    processes = _compile(releases)
    found: list[_Line] = []
    skipped: list[SkippedRow] = []
    notes: list[SkippedRow] = []
    for ocid, release in processes.items():
        _process_lines(ocid, release, file, currency, found, skipped, notes)
    texts = {
        "supplier_name": [x.supplier.name for x in found],
        "supplier_company_number": [x.supplier.company_number for x in found],
        "supplier_charity_number": [x.supplier.charity_number for x in found],
        "supplier_postcode": [x.supplier.postcode for x in found],
        "currency": [x.currency for x in found],
        "category": [x.category for x in found],
    }
    frame = pd.DataFrame({
        **{name: coded.categorical(*coded.encode(pa.array(v, type=pa.string()))) for name, v in texts.items()},
        "amount": np.array([x.amount for x in found], dtype=float),
        "paid_on": np.array([np.datetime64(x.paid_on, "D") for x in found], dtype="datetime64[D]"),
        "source_id": pd.Series([x.source_id for x in found], dtype=object),
    }, columns=list(COLUMNS))
    fmt = "OCDS JSON Lines" if json_lines else "OCDS JSON"
    return SpendLines(frame=frame, rows=pd.Series([x.row for x in found], dtype=object), format=fmt,
                      fields=dict(FIELDS), skipped=skipped, notes=notes, read=len(found) + len(skipped))


def _documents(path: Path, json_lines: bool) -> Iterator[tuple[str, Any]]:
    """(where, parsed JSON) of the file, or of each of its lines."""
    try:
        if not json_lines:
            with path.open(encoding="utf-8-sig") as fh:
                yield "", json.load(fh)
            return
        with path.open(encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    yield f"line {number}, ", json.loads(line)
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text; OCDS data is always UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} could not be read as JSON: {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}.") from None


@dataclass(frozen=True)
class _Release:
    where: str
    data: Json


def _releases(documents: Iterable[tuple[str, Any]], file: str) -> Iterator[_Release]:
    for where, doc in documents:
        items = doc if isinstance(doc, list) else [doc]
        for item in items:
            if not isinstance(item, dict):
                raise InvalidInput(f"{file} {where}holds {shown(item)} where an OCDS release or package belongs.")
            if isinstance(item.get("releases"), list) and "ocid" not in item:
                yield from (_Release(where, r) for r in item["releases"] if isinstance(r, dict))
            elif isinstance(item.get("records"), list):
                for record in item["records"]:
                    yield from _record_releases(record, where)
            elif "ocid" in item and "compiledRelease" in item:
                yield from _record_releases(item, where)
            elif "ocid" in item:
                yield _Release(where, item)
            else:
                raise InvalidInput(f"{file} {where}is not OCDS: no 'releases', 'records' or 'ocid' "
                                   "(export a release or record package from the portal).")


def _record_releases(record: Json, where: str) -> Iterator[_Release]:
    if not isinstance(record, dict):
        return
    if isinstance(record.get("compiledRelease"), dict):
        yield _Release(where, record["compiledRelease"])
        return
    # Without a compiled release, the record's full releases (linked ones hold only a url).
    yield from (_Release(where, r) for r in record.get("releases") or [] if isinstance(r, dict) and "ocid" in r)


def _compile(releases: list[_Release]) -> dict[str, _Release]:
    """One merged release per ocid, oldest first, objects in arrays merged by id."""
    merged: dict[str, _Release] = {}
    for release in sorted(releases, key=lambda r: str(r.data.get("date") or "")):
        data = release.data
        ocid = str(data.get("ocid") or "")
        if ocid not in merged:
            merged[ocid] = _Release(release.where, {"ocid": ocid})
        into = merged[ocid].data
        for key, value in data.items():
            if key in ("parties", "awards", "contracts") and isinstance(value, list):
                by_id = {str(o.get("id")): o for o in into.get(key, []) if isinstance(o, dict)}
                for obj in value:
                    if isinstance(obj, dict):
                        old = by_id.get(str(obj.get("id")), {})
                        by_id[str(obj.get("id"))] = {**old, **obj}
                into[key] = list(by_id.values())
            elif key == "tender" and isinstance(value, dict):
                into[key] = {**into.get(key, {}), **value}
            else:
                into[key] = value
    return merged


@dataclass(frozen=True)
class _Supplier:
    name: str | None
    company_number: str | None
    charity_number: str | None
    postcode: str | None


@dataclass(frozen=True)
class _Line:
    supplier: _Supplier
    amount: float
    currency: str
    paid_on: Any
    category: str | None
    source_id: str
    row: str


def _process_lines(ocid: str, release: _Release, file: str, currency: str, found: list[_Line],
                   skipped: list[SkippedRow], notes: list[SkippedRow]) -> None:
    data = release.data
    parties = {str(p.get("id")): p for p in _objects(data.get("parties"))}
    tender = _object(data.get("tender"))
    awards = {str(a.get("id")): a for a in _objects(data.get("awards"))}
    process_category = _category(tender.get("items")) or _text(tender.get("mainProcurementCategory"))
    contracted: set[str] = set()
    here = f"{release.where}release {ocid}"

    def add(kind: str, obj: Json, value: Any, dated: list[Any], refs: list[Any], category: str | None,
            source_id: str) -> None:
        row = f"{here}, {kind} {obj.get('id')}"
        amount = _amount(value, file=file, row=row, field=f"{kind}s/value/amount")
        paid = _date(dated, file=file, row=row)
        suppliers = [s for s in (_supplier(r, parties) for r in refs) if s.name]
        if not suppliers or amount is None or paid is None:
            reason = "no supplier named" if not suppliers else "no value" if amount is None else "no date"
            skipped.append(SkippedRow(file=file, row=row, field=kind, reason=reason))
            return
        cur = _text(value.get("currency")) if isinstance(value, dict) else None
        share = amount / len(suppliers)
        if len(suppliers) > 1:
            notes.append(SkippedRow(file=file, row=row, field="value", reason=(
                f"kept, {kind} value {amount:,.2f} split equally between its {len(suppliers)} suppliers "
                "(the package does not say how it is shared)")))
        for n, supplier in enumerate(suppliers):
            found.append(_Line(supplier, share, (cur or currency).upper(), paid, category or process_category,
                               source_id if len(suppliers) == 1 else f"{source_id}/supplier/{n + 1}", row))

    for contract in _objects(data.get("contracts")):
        award = awards.get(str(contract.get("awardID")), {})
        contracted.add(str(contract.get("awardID")))
        if _text(contract.get("status")) == "cancelled":
            skipped.append(SkippedRow(file=file, row=f"{here}, contract {contract.get('id')}", field="status",
                                      reason="contract cancelled"))
            continue
        category = _category(contract.get("items")) or _category(award.get("items"))
        key = f"{ocid}/contract/{contract.get('id')}"
        implementation = _object(contract.get("implementation"))
        transactions = _objects(implementation.get("transactions"))
        if transactions:
            for t in transactions:
                payee = t.get("payee") or t.get("receiverOrganization")
                refs = [payee] if payee else list(award.get("suppliers") or [])
                value = t.get("value") if isinstance(t.get("value"), dict) else t.get("amount")
                add("transaction", t, value, [t.get("date")], refs, category, f"{key}/transaction/{t.get('id')}")
            continue
        period = _object(contract.get("period"))
        add("contract", contract, contract.get("value") or award.get("value"),
            [contract.get("dateSigned"), period.get("startDate"), award.get("date")],
            list(award.get("suppliers") or []), category, key)
    for award_id, award in awards.items():
        if award_id in contracted:
            continue
        status = _text(award.get("status"))
        if status in _NOT_SPENT:
            skipped.append(SkippedRow(file=file, row=f"{here}, award {award_id}", field="status",
                                      reason=f"award {status}: no money goes to its suppliers"))
            continue
        period = _object(award.get("contractPeriod"))
        add("award", award, award.get("value"), [award.get("date"), period.get("startDate")],
            list(award.get("suppliers") or []), _category(award.get("items")), f"{ocid}/award/{award_id}")


def _object(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _objects(value: Any) -> list[Json]:
    return [o for o in value if isinstance(o, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _category(items: Any) -> str | None:
    for item in _objects(items):
        c = item.get("classification")
        if isinstance(c, dict):
            described = _text(c.get("description"))
            if described:
                return described
            if _text(c.get("id")):
                return f"{_text(c.get('scheme')) or 'code'} {_text(c.get('id'))}"
    return None


def _amount(value: Any, *, file: str, row: str, field: str) -> float | None:
    raw = value.get("amount") if isinstance(value, dict) else value
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise InvalidInput(f"{file} row {row}, field {field}: {shown(raw)} is not an amount.")
    try:
        amount = float(raw)
    except ValueError:
        raise InvalidInput(f"{file} row {row}, field {field}: {shown(raw)} is not an amount.") from None
    if not np.isfinite(amount):
        raise InvalidInput(f"{file} row {row}, field {field}: {shown(raw)} is not a finite amount.")
    return amount


def _date(candidates: list[Any], *, file: str, row: str) -> Any:
    """The first date given among ``candidates`` (a date-time as OCDS writes it)."""
    for raw in candidates:
        text = _text(raw)
        if text is None:
            continue
        read = values.one_date(text)
        if read is None:
            raise InvalidInput(f"{file} row {row}, field date: {shown(raw)} is not a date "
                               "(OCDS writes 2024-05-31T00:00:00Z).")
        return read
    return None


def _supplier(ref: Any, parties: dict[str, Json]) -> _Supplier:
    if not isinstance(ref, dict):
        return _Supplier(None, None, None, None)
    party = parties.get(str(ref.get("id")), {})
    name = _text(ref.get("name")) or _text(party.get("name"))
    ids: list[tuple[str, str]] = []
    for ident in [party.get("identifier"), *_objects(party.get("additionalIdentifiers")), ref.get("identifier")]:
        if isinstance(ident, dict) and _text(ident.get("scheme")) and _text(ident.get("id")):
            ids.append((str(_text(ident.get("scheme"))).upper(), str(_text(ident.get("id")))))
    for whole in (ref.get("id"), party.get("id")):
        text = _text(whole)
        if text and text.upper().startswith(("GB-COH-", "GB-CHC-")):
            ids.append((text[:6].upper(), text[7:]))
    company = next((c for s, i in ids if s == "GB-COH" and (c := normalise_company_number(i))), None)
    charity = next((c for s, i in ids if s == "GB-CHC" and (c := normalise_charity_number(i))), None)
    address = _object(party.get("address"))
    return _Supplier(name, company, charity, normalise_postcode(address.get("postalCode")))
