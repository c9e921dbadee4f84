"""The register's needs and offers: list an asset's, add one, change or close one.

Each save goes through :mod:`atlas.needs_offers`, which checks every field (kind, unit,
believable sizes, garbled text) and names the one at fault; tags are offered from the
shared vocabulary, and any other word may be typed."""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from app import author, session, state
from app.language import N_, _, fmt, value_label
from app.text import md
from atlas import needs_offers
from atlas.access import Permission
from atlas.errors import AtlasError
from atlas.models import NEED_KINDS, NEED_OFFER_STATUSES, OFFER_KINDS, NeedOffer
from atlas.needs_offers import NeedOfferDraft

ss = st.session_state
flash = functools.partial(state.flash, "reg")

NEW = 0
KINDS = {"need": NEED_KINDS, "offer": OFFER_KINDS}
KIND_HELP = N_("Needs: workforce (staff), supply (goods and services bought), space, land, funding, volunteers. "
               "Offers: skills, people, services, products, space, land, volunteers, reach (into a community), "
               "funding.")
SIDES = {"need": N_("A need"), "offer": N_("An offer")}
FIELDS = ("kind", "title", "description", "tags", "quantity", "unit", "area_m2", "annual_value", "status", "site")


def _size(item: NeedOffer, currency: str) -> str:
    parts = []
    if item.quantity is not None:
        parts.append(f"{fmt().number(item.quantity)} {item.unit or ''}".strip())
    if item.area_m2:
        parts.append(fmt().area_m2(item.area_m2))
    if item.annual_value:
        parts.append(_("{amount} a year").format(amount=fmt().money(item.annual_value, currency)))
    return "; ".join(parts)


def _load(item: NeedOffer | None, side: str) -> None:
    """Fill the form from ``item`` (or empty it for a new one)."""
    ss["reg_no_kind"] = item.kind if item else KINDS[side][0]
    ss["reg_no_title"] = item.title if item else ""
    ss["reg_no_description"] = (item.description or "") if item else ""
    ss["reg_no_tags"] = list(item.tags) if item else []
    ss["reg_no_quantity"] = item.quantity if item else None
    ss["reg_no_unit"] = item.unit if item else None
    ss["reg_no_area_m2"] = item.area_m2 if item else None
    ss["reg_no_annual_value"] = item.annual_value if item else None
    ss["reg_no_status"] = item.status if item else "open"
    ss["reg_no_site"] = item.feature_id if item else None


def _draft(side: str, asset_id: int) -> NeedOfferDraft:
    return NeedOfferDraft(
        side=side, asset_id=asset_id, kind=ss["reg_no_kind"], title=ss["reg_no_title"] or "",
        description=ss["reg_no_description"] or None, tags=tuple(ss["reg_no_tags"] or ()),
        quantity=ss["reg_no_quantity"], unit=ss["reg_no_unit"], area_m2=ss["reg_no_area_m2"],
        annual_value=ss["reg_no_annual_value"], status=ss["reg_no_status"], feature_id=ss["reg_no_site"],
    )


def _save(side: str, asset_id: int, item_id: int) -> None:
    who = author.remembered("reg_no_author")
    try:
        with session.writing(Permission.EDIT_REGISTER) as store:
            voc = state.vocabulary_of_store()
            draft = _draft(side, asset_id)
            if item_id == NEW:
                item_id = needs_offers.add(store, draft, by=who, vocabulary=voc)
            else:
                needs_offers.update(store, item_id, draft, by=who, vocabulary=voc)
    except AtlasError as exc:
        flash("error", str(exc))
        return
    ss["reg_no_pending"] = item_id
    text = _("Saved the need “{title}”.") if side == "need" else _("Saved the offer “{title}”.")
    flash("success", text.format(title=md(ss["reg_no_title"].strip())), icon=":material/check_circle:")


def _remove(item_id: int) -> None:
    try:
        with session.writing(Permission.EDIT_REGISTER) as store:
            needs_offers.remove(store, item_id, by=author.remembered("reg_no_author") or session.viewer().label)
    except AtlasError as exc:
        flash("error", str(exc))
        return
    ss["reg_no_pending"] = NEW
    flash("success", _("Removed."), icon=":material/delete:")


def needs_offers_section(names: dict[int, str]) -> None:
    """The "Needs and offers" tab of the register."""
    if not names:
        st.info(_("Add an asset first: needs and offers belong to an asset."))
        return
    if "reg_no_asset" not in ss or ss["reg_no_asset"] not in names:
        picked = ss.get("reg_asset")
        ss["reg_no_asset"] = picked if picked in names else next(iter(names))
    asset_id = st.selectbox(_("Whose needs and offers"), list(names), format_func=names.__getitem__,
                            key="reg_no_asset")
    items = state.needs_offers_of(asset_id)
    currency = state.info().currency
    if items:
        st.dataframe(pd.DataFrame({
            "": [_(i.side) for i in items], _("Kind"): [_(i.kind) for i in items], _("What"): [i.title for i in items],
            _("Status"): [_(i.status) for i in items], _("Size"): [_size(i, currency) for i in items],
            _("Tags"): [", ".join(i.tags) for i in items], _("Recorded by"): [i.recorded_by for i in items],
            _("On"): [fmt().date(i.recorded_at) for i in items],
        }), hide_index=True, key="reg_no_table")
    else:
        st.caption(_("{name} has no needs or offers recorded yet.").format(name=md(names[asset_id])))
    by_id = {i.id: i for i in items}
    if "reg_no_pending" in ss:
        ss["reg_no_item"] = ss.pop("reg_no_pending")
    if ss.get("reg_no_item") not in (NEW, *by_id):
        ss["reg_no_item"] = NEW
    item_id = st.selectbox(_("Need or offer"), [NEW, *by_id], key="reg_no_item",
                           format_func=lambda i: _("A new need or offer") if i == NEW else
                           f"{_(by_id[i].side)}: {by_id[i].title}")
    item = by_id.get(item_id)
    side = item.side if item else st.radio(_("It is"), ["need", "offer"], horizontal=True, key="reg_no_side",
                                           format_func=lambda s: _(SIDES[s]))
    loaded = (asset_id, item_id, side)
    if ss.get("reg_no_loaded") != loaded:
        _load(item, side)
        ss["reg_no_loaded"] = loaded
    voc = state.vocabulary_of_store()
    tag_options = sorted({c.label.lower() for c in voc.categories.values()} | set(ss.get("reg_no_tags") or []))
    # A tag is stored as chosen (the matcher reads it in the vocabulary's words); it is shown
    # in the reader's language when it is a shipped category's label.
    shipped = {c.label.lower(): c.label for c in voc.categories.values() if not c.local}
    tag_labels = {t: _(shipped[t]) if t in shipped and _(shipped[t]) != shipped[t] else value_label(t)
                  for t in tag_options}
    site_names = {f.id: f.name or "" for f in state.list_features(named_only=True)}
    with st.form("reg_no_form"):
        a, b = st.columns([1, 2])
        a.selectbox(_("Kind"), KINDS[side], key="reg_no_kind", help=_(KIND_HELP), format_func=_)
        b.text_input(_("Title"), key="reg_no_title", max_chars=needs_offers.TITLE_MAX,
                     placeholder=_("e.g. A room for monthly meetings") if side == "need"
                     else _("e.g. Church hall for hire"))
        st.text_area(_("Description"), key="reg_no_description", height=80, max_chars=needs_offers.DESCRIPTION_MAX)
        st.multiselect(_("Tags"), tag_options, key="reg_no_tags", accept_new_options=True,
                       format_func=lambda t: tag_labels.get(t, t),
                       help=_("Words from the shared vocabulary match best; any other may be typed."))
        a, b, c, d = st.columns(4)
        a.number_input(_("Quantity"), min_value=0.0, key="reg_no_quantity", value=None, step=1.0)
        b.selectbox(_("Unit"), [None, *voc.unit_names], key="reg_no_unit",
                    format_func=lambda u: "—" if u is None else _(u))
        c.number_input(_("Area (m²), for space or land"), min_value=0.0, key="reg_no_area_m2", value=None,
                       step=10.0)
        d.number_input(_("Value a year"), min_value=0.0, key="reg_no_annual_value", value=None, step=1000.0,
                       help=_("Money a year in the atlas's currency ({currency}): a budget, a rent, a grant, "
                              "a contract.").format(currency=currency))
        a, b = st.columns(2)
        a.selectbox(_("Status"), NEED_OFFER_STATUSES, key="reg_no_status", format_func=_)
        b.selectbox(_("About the site (optional)"), [None, *site_names], key="reg_no_site",
                    format_func=lambda i: "—" if i is None else site_names[i])
        author.author_input("reg_no_author", help=_("Recorded as who found or changed it."))
        if item is not None:
            submit = _("Save changes")
        else:
            submit = _("Save the new need") if side == "need" else _("Save the new offer")
        st.form_submit_button(submit, type="primary", on_click=_save, args=(side, asset_id, item_id),
                              key="reg_no_save")
    if item is not None:
        st.button(_("Remove this need (entered by mistake)") if side == "need"
                  else _("Remove this offer (entered by mistake)"), key="reg_no_remove", on_click=_remove,
                  args=(item_id,), icon=":material/delete:",
                  help=_("Close it instead if it was real: set its status to closed."))
