"""What a register's legal form says about an organisation: a plain name for the form,
whether the form makes it a social enterprise (and why), and the atlas category and
sector it is filed under when it becomes a new asset.

The rule is the legal form alone, because that is what the register states: a community
interest company (CIC) is a social enterprise by law (it has an asset lock and a
community interest test); a registered society (a co-operative or a community benefit
society, once "industrial and provident societies") is owned by its members or run for
its community. A charity, even a charitable company, is a charity and not counted as a
social enterprise; many companies limited by guarantee trade for a social purpose, but
the register does not say which, so they are not counted without other evidence.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LegalForm:
    """How the atlas reads one of a register's legal forms.

    ``label`` is the form in plain words (stored as the registration's ``legal_form``);
    ``social_enterprise_reason`` is None unless the form makes the organisation a social
    enterprise; ``category`` and ``sector`` are what a new asset is filed under."""

    label: str
    category: str
    sector: str
    social_enterprise_reason: str | None = None

    @property
    def social_enterprise(self) -> bool:
        return self.social_enterprise_reason is not None


_COMPANY = "company"
_CHARITY = "charity"
_CO_OPERATIVE = "co-operative"

# Companies House ``CompanyCategory`` values (as the basic company data file spells them,
# compared without case) and how each is read. Forms not listed keep their published
# text as the label and are filed as companies in the private sector.
_COMPANIES_HOUSE: dict[str, LegalForm] = {
    "community interest company": LegalForm("Community interest company", "social enterprise", "social",
                                            "community interest company"),
    "registered society": LegalForm("Registered society", _CO_OPERATIVE, "social",
                                    "registered society (a co-operative or community benefit society)"),
    "industrial and provident society": LegalForm("Industrial and provident society", _CO_OPERATIVE, "social",
                                                  "industrial and provident society (a co-operative or community "
                                                  "benefit society)"),
    "co-operative society": LegalForm("Co-operative society", _CO_OPERATIVE, "social", "co-operative society"),
    "community benefit society": LegalForm("Community benefit society", "community business", "social",
                                           "community benefit society"),
    "charitable incorporated organisation": LegalForm("Charitable incorporated organisation", _CHARITY, "social"),
    "scottish charitable incorporated organisation": LegalForm("Scottish charitable incorporated organisation",
                                                               _CHARITY, "social"),
    "private limited company": LegalForm("Private limited company", _COMPANY, "private"),
    "public limited company": LegalForm("Public limited company", _COMPANY, "private"),
    "old public company": LegalForm("Public limited company", _COMPANY, "private"),
    "pri/ltd by guar/nsc (private, limited by guarantee, no share capital)":
        LegalForm("Company limited by guarantee", _COMPANY, "private"),
    "pri/lbg/nsc (private, limited by guarantee, no share capital, use of 'limited' exemption)":
        LegalForm("Company limited by guarantee", _COMPANY, "private"),
    "priv ltd sect. 30 (private limited company, section 30 of the companies act)":
        LegalForm("Private limited company (section 30 exemption)", _COMPANY, "private"),
    "private unlimited": LegalForm("Private unlimited company", _COMPANY, "private"),
    "private unlimited company": LegalForm("Private unlimited company", _COMPANY, "private"),
    "limited liability partnership": LegalForm("Limited liability partnership", _COMPANY, "private"),
    "limited partnership": LegalForm("Limited partnership", _COMPANY, "private"),
    "royal charter company": LegalForm("Royal charter company", _COMPANY, "private"),
    "further education and sixth form college corps": LegalForm("Further education corporation", "college",
                                                                "public"),
}


def companies_house_form(category: str | None) -> LegalForm:
    """How a Companies House ``CompanyCategory`` is read (see the module's rule)."""
    text = (category or "").strip()
    known = _COMPANIES_HOUSE.get(text.lower())
    if known is not None:
        return known
    return LegalForm(text or "Company (form not stated)", _COMPANY, "private")


def charity_form(charity_type: str | None, *, company_number: str | None, cio: bool = False) -> LegalForm:
    """A registered charity's form: the register's ``charity_type`` where it gives one,
    else a charitable company when it has a company number, a charitable incorporated
    organisation when the register says so, else a registered charity."""
    text = (charity_type or "").strip()
    if text.lower() in ("cio", "charitable incorporated organisation") or (not text and cio):
        label = "Charitable incorporated organisation"
    elif text:
        label = text[0].upper() + text[1:]
    elif company_number:
        label = "Charitable company"
    else:
        label = "Registered charity"
    return LegalForm(label, _CHARITY, "social")


_CATEGORY_OF_LABEL = {form.label: form.category for form in _COMPANIES_HOUSE.values()}

KINDS = ("co-operative", "community business", "social enterprise", "charity", "company")
"""What :func:`kind_of` sorts registered organisations into, for counting a market."""


def kind_of(legal_form: str | None, *, charity: bool, social_enterprise: bool) -> str:
    """One of KINDS for a registration: its form's category where that is a co-operative
    or community business, else a social enterprise, else a charity (a charity number,
    or a charity's form), else a company."""
    category = _CATEGORY_OF_LABEL.get(legal_form or "")
    if category in ("co-operative", "community business"):
        return category
    if social_enterprise:
        return "social enterprise"
    if charity or category == _CHARITY:
        return "charity"
    return "company"


__all__ = ["KINDS", "LegalForm", "charity_form", "companies_house_form", "kind_of"]
