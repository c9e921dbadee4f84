"""Admin: accounts and roles, the place's settings, backups, and the audit trail."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from app import session, state
from app.language import _, fmt, ngettext
from app.language import forget as forget_language
from app.text import md
from atlas import accounts, audit, backup, i18n, place_settings
from atlas.access import ROLES, Permission
from atlas.classify import Thresholds
from atlas.errors import AtlasError
from atlas.store import StoreSettings

ss = st.session_state


def accounts_section() -> None:
    st.subheader(_("Accounts"))
    users = state.query(accounts.list_users)
    st.dataframe(pd.DataFrame({
        _("User name"): [u.username for u in users], _("Name"): [u.display_name for u in users],
        _("Role"): [_(u.role) for u in users], _("Password"): [u.has_password for u in users],
        _("Added"): [u.created_at for u in users], _("By"): [u.created_by for u in users],
    }), hide_index=True, width="stretch", key="admin.users")
    who = session.viewer()
    with st.form("admin.add_user", clear_on_submit=True):
        st.markdown("**{}**".format(_("Add an account")))
        a, b, c = st.columns(3)
        username = a.text_input(_("User name (or e-mail address)"), key="admin.new_user")
        name = b.text_input(_("Name shown beside their changes"), key="admin.new_name")
        role = c.selectbox(_("Role"), ROLES, key="admin.new_role", format_func=_)
        password = st.text_input(
            _("Password"), type="password", key="admin.new_password",
            help=_("At least {count} characters. Leave empty for an account that signs in only through your "
                   "organisation's sign-in.").format(count=accounts.MIN_PASSWORD_CHARS))
        if st.form_submit_button(_("Add the account"), type="primary"):
            try:
                with session.writing(Permission.ADMINISTER) as store:
                    accounts.add_user(store, username, role=role, password=password or None, display_name=name,
                                      by=who.label)
            except AtlasError as exc:
                st.error(str(exc))
            else:
                st.success(_("Added {name} as {role}.").format(name=md(username), role=_(role)))
    if users:
        with st.form("admin.change_user"):
            st.markdown("**{}**".format(_("Change or remove an account")))
            a, b = st.columns(2)
            username = a.selectbox(_("Account"), [u.username for u in users], key="admin.pick_user")
            role = b.selectbox(_("New role"), ROLES, key="admin.pick_role", format_func=_)
            change, remove = st.columns(2)
            changed = change.form_submit_button(_("Change the role"))
            removed = remove.form_submit_button(_("Remove the account"))
        try:
            if changed:
                with session.writing(Permission.ADMINISTER) as store:
                    accounts.set_role(store, username, role, by=who.label)
                st.success(_("{name} is now {role}.").format(name=md(username), role=_(role)))
            if removed:
                with session.writing(Permission.ADMINISTER) as store:
                    accounts.remove_user(store, username, by=who.label)
                st.success(_("Removed {name}.").format(name=md(username)))
        except AtlasError as exc:
            st.error(str(exc))


def _settings_words(current: StoreSettings) -> str:
    """The place's settings as one sentence, in the reader's language and formats."""
    t = current.thresholds
    language = i18n.supported(current.language) or i18n.SOURCE_LANGUAGE
    return _("**{place}** reads in {language} by default and counts money in {currency}. An asset is macro "
             "above {employees} employees, {spend} spend a year or {land} of land.").format(
        place=md(current.place) if current.place else _("This place (no name yet)"),
        language=i18n.LANGUAGES[language], currency=t.currency,
        employees=fmt().number(t.employees), spend=fmt().money(t.spend, t.currency),
        land=fmt().area_m2(t.land_ha * 10_000))


def settings_section() -> None:
    """The place: its name, default language, currency and macro thresholds. Saving new
    thresholds or a new currency reclassifies every asset (atlas.place_settings)."""
    st.subheader(_("The place"))
    state.show_flashes("admin")
    current = state.store_settings()
    st.markdown(_settings_words(current))
    codes = list(i18n.LANGUAGES)
    language_now = i18n.supported(current.language) or i18n.SOURCE_LANGUAGE
    with st.form("admin.settings"):
        a, b = st.columns([2, 1])
        place = a.text_input(_("Place name"), value=current.place or "", key="admin.place")
        language = b.selectbox(_("Default language"), codes, index=codes.index(language_now),
                               format_func=i18n.LANGUAGES.__getitem__, key="admin.language",
                               help=_("Shown to anyone whose browser asks for no language the atlas has, "
                                      "and used by the atlas command."))
        a, b, c, d = st.columns(4)
        currency_code = a.text_input(_("Currency (ISO code)"), value=current.thresholds.currency, max_chars=3,
                                     key="admin.currency", help=_("Three letters, such as EUR, GBP or PLN."))
        employees = b.number_input(_("Macro above this many employees"), min_value=0, step=10,
                                   value=current.thresholds.employees, key="admin.employees")
        spend = c.number_input(_("Macro above this spend a year"), min_value=0.0, step=100_000.0,
                               value=float(current.thresholds.spend), key="admin.spend",
                               help=_("In the currency beside it."))
        land = d.number_input(_("Macro above this much land (ha)"), min_value=0.0, step=0.5,
                              value=float(current.thresholds.land_ha), key="admin.land")
        saved = st.form_submit_button(_("Save and reclassify every asset"), type="primary")
    if saved:
        _save_settings(current, place, language, currency_code, int(employees), float(spend), float(land))


def _save_settings(current: StoreSettings, place: str, language: str, currency_code: str, employees: int,
                   spend: float, land: float) -> None:
    by = session.viewer().label
    try:
        thresholds = Thresholds(employees=employees, spend=spend, land_ha=land,
                                currency=currency_code.strip().upper())
    except ValueError:
        st.error(_("Currency: {code} is not a three-letter ISO 4217 code such as EUR.").format(
            code=md(currency_code)))
        return
    changed: int | None = None
    try:
        with session.writing(Permission.ADMINISTER) as store:
            if place.strip() != (current.place or ""):
                place_settings.set_place(store, place, by=by)
            if language != (current.language or i18n.SOURCE_LANGUAGE):
                place_settings.set_language(store, language, by=by)
            if thresholds != current.thresholds:
                changed = place_settings.set_thresholds(store, thresholds, by=by)
    except AtlasError as exc:
        st.error(str(exc))
        return
    forget_language()  # the rest of this run reads in the new default, if it changed
    if changed is None:
        said = _("Saved. The thresholds and currency are as they were, so no asset changed scale.")
    else:
        said = ngettext("Saved, and every asset reclassified: {count} asset changed scale.",
                        "Saved, and every asset reclassified: {count} assets changed scale.",
                        changed).format(count=fmt().number(changed))
    # Drawn again, so the sentence above the form (and the page's language, when the
    # default changed) shows what was saved.
    state.flash("admin", "success", said, icon=":material/check_circle:")
    st.rerun()


def backup_section() -> None:
    st.subheader(_("Backups"))
    st.markdown(_("A backup is a consistent copy of the whole atlas, taken through the app's own connection "
                  "while people keep working. Restore it with `atlas restore FILE`. Never copy the store file of "
                  "a running atlas instead: the latest changes may still be in its write-ahead log and would be "
                  "lost."))
    if st.button(_("Make a backup"), key="admin.backup", icon=":material/backup:"):
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "atlas-backup.duckdb"
                with session.writing(Permission.ADMINISTER) as store:
                    info = backup.write_backup(store, path)
                ss["admin.backup_bytes"] = path.read_bytes()
                ss["admin.backup_name"] = f"atlas-backup-{info.taken_at:%Y%m%d-%H%M%S}.duckdb"
        except AtlasError as exc:
            st.error(str(exc))
    if "admin.backup_bytes" in ss:
        st.download_button(_("Download the backup"), ss["admin.backup_bytes"], file_name=ss["admin.backup_name"],
                           mime="application/octet-stream", key="admin.backup_download", icon=":material/download:")


def audit_section() -> None:
    st.subheader(_("Recent changes"))
    changes = state.query(audit.recent, viewer=session.viewer(), limit=300)
    st.dataframe(pd.DataFrame({
        _("When"): [c.at for c in changes], _("Who"): [c.actor for c in changes],
        _("Role"): [_(c.role) if c.role else "" for c in changes],
        _("What"): [c.entity for c in changes], _("Id"): [c.entity_id or "" for c in changes],
        _("Change"): [c.summary for c in changes],
    }), hide_index=True, width="stretch", key="admin.audit")


def main() -> None:
    st.title(_("Admin"))
    state.handle_or_stop()
    session.gate(Permission.ADMINISTER, _("Administration"))
    tabs = st.tabs([_("Accounts"), _("The place"), _("Backups"), _("Recent changes")], key="admin.tab")
    with tabs[0]:
        accounts_section()
    with tabs[1]:
        settings_section()
    with tabs[2]:
        backup_section()
    with tabs[3]:
        audit_section()


main()
