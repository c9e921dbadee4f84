"""Which column of a council's spend file holds which field.

Councils publish "spend over £500" under many headers ("Supplier Name", "Vendor",
"Payee"; "Amount", "Net Amount", "Amount (£)"; "Payment Date", "Date Paid" ...). Each
field is guessed from its synonyms, compared as :func:`atlas.importers.columns.name_key`
spells names ("Amount (£)" is ``amount``), exact names first and then columns whose name
contains a telling word. The guess is returned whole (field -> column) so the app and the
command line can show it, and the person importing corrects any field with
``columns_given`` (``--column category="Expense Area"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from atlas.errors import InvalidInput
from atlas.importers.columns import name_key, require_column

FIELDS: tuple[str, ...] = ("supplier", "amount", "date", "category", "company_number", "postcode", "id", "currency")
"""The fields a spend line is read from, in the order they are shown."""
REQUIRED: tuple[str, ...] = ("supplier", "amount", "date")
"""Without these a line says nothing about where money went."""

# Exact names (after name_key), best first. A column serves one field only.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "supplier": ("supplier_name", "supplier", "vendor_name", "vendor", "payee_name", "payee", "beneficiary",
                 "beneficiary_name", "creditor_name", "creditor", "merchant_name", "merchant", "recipient",
                 "recipient_name", "paid_to", "supplier_or_payee", "organisation_name"),
    "amount": ("amount", "net_amount", "amount_net", "value", "total", "net_value", "amount_excluding_vat",
               "amount_excl_vat", "amount_ex_vat", "net_amount_excluding_vat", "total_amount", "line_amount",
               "transaction_amount", "payment_amount", "gross_amount", "amount_paid", "value_paid", "sum"),
    "date": ("payment_date", "date", "transaction_date", "date_paid", "paid_date", "invoice_date",
             "posting_date", "effective_date", "date_of_payment", "payment_run_date", "pay_date"),
    "category": ("expense_type", "expenses_type", "expense_area", "service_area", "purpose", "category", "description",
                 "expenditure_category", "expense_description", "service_area_categorisation", "proclass",
                 "procurement_category", "service", "cost_centre_description", "account_description",
                 "subjective_description", "purpose_of_spend", "expenditure_type"),
    "company_number": ("supplier_company_number", "company_number", "company_reg_no", "companies_house_number",
                       "company_registration_number", "supplier_company_registration_number",
                       "supplier_company_reg_no", "companynumber", "crn", "company_no", "supplier_company_no"),
    "postcode": ("supplier_postcode", "postcode", "supplier_post_code", "post_code", "supplier_postal_code",
                 "postal_code"),
    "id": ("transaction_number", "transaction_id", "reference", "invoice_number", "transaction_no",
           "transaction_reference", "payment_reference", "invoice_ref", "invoice_reference", "document_number",
           "document_no", "ref", "invoice_no", "payment_id", "voucher_number", "id"),
    "currency": ("currency", "currency_code", "ccy"),
}

# Words that give a field away when no exact name does, and words that rule a column out.
_CONTAINS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "supplier": (("supplier", "vendor", "payee", "beneficiary", "creditor", "merchant"),
                 ("postcode", "post_code", "number", "no", "id", "ref", "type", "code", "reg", "address",
                  "vat", "category", "town", "city")),
    "amount": (("amount", "value", "net", "total", "gbp", "eur"),
               ("vat_amount", "vat_only", "date", "number", "ref", "description", "irrecoverable")),
    "date": (("date", "paid_on"), ("invoice_number", "updated", "created", "published")),
    "category": (("expense", "expenditure", "service", "category", "purpose", "proclass", "subjective"),
                 ("date", "amount", "value", "code", "number", "id")),
    "company_number": (("company",), ("name", "type", "category", "status")),
    "postcode": (("postcode", "post_code", "postal"), ()),
    "id": (("transaction", "reference", "invoice", "voucher"), ("date", "amount", "value", "type", "description")),
    "currency": (("currency",), ()),
}


def guess(columns: Sequence[str]) -> dict[str, str]:
    """Field -> column for each field a file's columns seem to hold (never two fields in
    one column): exact synonyms first, then a column whose name contains a telling word."""
    keys = {c: name_key(c) for c in columns}
    found: dict[str, str] = {}
    taken: set[str] = set()
    for field in FIELDS:
        for synonym in SYNONYMS[field]:
            column = next((c for c in columns if keys[c] == synonym and c not in taken), None)
            if column is not None:
                found[field] = column
                taken.add(column)
                break
    for field in FIELDS:
        if field in found:
            continue
        wanted, refused = _CONTAINS[field]
        for c in columns:
            words = keys[c].split("_")
            if c in taken or not keys[c]:
                continue
            if any(_has(keys[c], words, w) for w in wanted) and not any(_has(keys[c], words, r) for r in refused):
                found[field] = c
                taken.add(c)
                break
    return found


def _has(key: str, words: list[str], term: str) -> bool:
    # A term of several words ("vat_amount") is looked for in the whole key, one word
    # ("no", "id") only as a word, so "notes" does not hold "no".
    return term in key if "_" in term else term in words


def resolve(columns: Sequence[str], given: Mapping[str, str], *, file: str) -> dict[str, str]:
    """The columns to read: the guess, corrected by ``given`` (field -> column, case and
    spacing of the column's name forgiven). A field the file cannot be read without and
    that neither the guess nor ``given`` found is an error listing the file's columns."""
    listed = ", ".join(repr(str(c)) for c in columns)
    chosen: dict[str, str] = {}
    for field, column in given.items():
        key = name_key(field)
        if key not in FIELDS:
            raise InvalidInput(f"--column {field}=...: {field!r} is not a field of a spend line; "
                               f"say one of {', '.join(FIELDS)}.")
        chosen[key] = require_column(columns, column, file=file, option=f"--column {key}=...")
    mapping = {f: c for f, c in guess(columns).items() if c not in chosen.values() and f not in chosen}
    mapping.update(chosen)
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise InvalidInput(
            f"{file}: could not tell which column holds the {' and the '.join(missing)} of each payment; "
            f"its columns are {listed}. Say which with --column, for example --column {missing[0]}=\"COLUMN\"."
        )
    return {f: mapping[f] for f in FIELDS if f in mapping}


def score(cells: Sequence[object], given: Mapping[str, str]) -> int:
    """How much a row looks like a spend file's header: the fields it seems to name, plus
    the columns named with ``given`` it holds. Preamble lines (a title, a date range)
    score 0 or 1; the header scores 3 or more."""
    names = [str(c).strip() for c in cells if c is not None and str(c).strip()]
    if len(names) < 2:
        return 0
    keys = {name_key(n) for n in names}
    guessed = guess(names)
    return (sum(2 if f in REQUIRED else 1 for f in guessed)
            + sum(1 for c in given.values() if name_key(c) in keys))
