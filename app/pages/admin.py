"""Admin: accounts and roles, the place's settings, backups, and the audit trail."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from app import session, state
from app.text import md
from atlas import accounts, audit, backup, place_settings
from atlas.access import ROLES, Permission
from atlas.classify import Thresholds
from atlas.errors import AtlasError

ss = st.session_state


def accounts_section() -> None:
    st.subheader("Accounts")
    users = state.query(accounts.list_users)
    st.dataframe(pd.DataFrame({
        "User name": [u.username for u in users], "Name": [u.display_name for u in users],
        "Role": [u.role for u in users], "Password": [u.has_password for u in users],
        "Added": [u.created_at for u in users], "By": [u.created_by for u in users],
    }), hide_index=True, width="stretch", key="admin.users")
    who = session.viewer()
    with st.form("admin.add_user", clear_on_submit=True):
        st.markdown("**Add an account**")
        a, b, c = st.columns(3)
        username = a.text_input("User name (or e-mail address)", key="admin.new_user")
        name = b.text_input("Name shown beside their changes", key="admin.new_name")
        role = c.selectbox("Role", ROLES, key="admin.new_role")
        password = st.text_input("Password", type="password", key="admin.new_password",
                                 help=f"At least {accounts.MIN_PASSWORD_CHARS} characters. Leave empty for an account "
                                      "that signs in only through your organisation's sign-in.")
        if st.form_submit_button("Add the account", type="primary"):
            try:
                with session.writing(Permission.ADMINISTER) as store:
                    accounts.add_user(store, username, role=role, password=password or None, display_name=name,
                                      by=who.label)
            except AtlasError as exc:
                st.error(str(exc))
            else:
                st.success(f"Added {md(username)} as {role}.")
    if users:
        with st.form("admin.change_user"):
            st.markdown("**Change or remove an account**")
            a, b = st.columns(2)
            username = a.selectbox("Account", [u.username for u in users], key="admin.pick_user")
            role = b.selectbox("New role", ROLES, key="admin.pick_role")
            change, remove = st.columns(2)
            changed = change.form_submit_button("Change the role")
            removed = remove.form_submit_button("Remove the account")
        try:
            if changed:
                with session.writing(Permission.ADMINISTER) as store:
                    accounts.set_role(store, username, role, by=who.label)
                st.success(f"{md(username)} is now {role}.")
            if removed:
                with session.writing(Permission.ADMINISTER) as store:
                    accounts.remove_user(store, username, by=who.label)
                st.success(f"Removed {md(username)}.")
        except AtlasError as exc:
            st.error(str(exc))


def settings_section() -> None:
    st.subheader("The place")
    current = state.query(lambda store: store.settings)
    with st.form("admin.settings"):
        place = st.text_input("Place name", value=current.place or "", key="admin.place")
        a, b, c, d = st.columns(4)
        currency = a.text_input("Currency (ISO code)", value=current.thresholds.currency, max_chars=3,
                                key="admin.currency")
        employees = b.number_input("Macro above this many employees", min_value=0, step=10,
                                   value=current.thresholds.employees, key="admin.employees")
        spend = c.number_input("Macro above this spend a year", min_value=0.0, step=100_000.0,
                               value=float(current.thresholds.spend), key="admin.spend")
        land = d.number_input("Macro above this much land (ha)", min_value=0.0, step=0.5,
                              value=float(current.thresholds.land_ha), key="admin.land")
        if st.form_submit_button("Save and reclassify every asset", type="primary"):
            try:
                with session.writing(Permission.ADMINISTER) as store:
                    if place.strip() != (current.place or ""):
                        place_settings.set_place(store, place, by=session.viewer().label)
                    changed = place_settings.set_thresholds(
                        store, Thresholds(employees=int(employees), spend=spend, land_ha=land, currency=currency),
                        by=session.viewer().label)
            except AtlasError as exc:
                st.error(str(exc))
            else:
                st.success(f"Saved. {changed} asset(s) changed scale.")


def backup_section() -> None:
    st.subheader("Backups")
    st.markdown("A backup is a consistent copy of the whole atlas, taken through the app's own connection while "
                "people keep working. Restore it with `atlas restore FILE`. Never copy the store file of a running "
                "atlas instead: the latest changes may still be in its write-ahead log and would be lost.")
    if st.button("Make a backup", key="admin.backup", icon=":material/backup:"):
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
        st.download_button("Download the backup", ss["admin.backup_bytes"], file_name=ss["admin.backup_name"],
                           mime="application/octet-stream", key="admin.backup_download", icon=":material/download:")


def audit_section() -> None:
    st.subheader("Recent changes")
    changes = state.query(audit.recent, viewer=session.viewer(), limit=300)
    st.dataframe(pd.DataFrame({
        "When": [c.at for c in changes], "Who": [c.actor for c in changes], "Role": [c.role or "" for c in changes],
        "What": [c.entity for c in changes], "Id": [c.entity_id or "" for c in changes],
        "Change": [c.summary for c in changes],
    }), hide_index=True, width="stretch", key="admin.audit")


def main() -> None:
    st.title("Admin")
    state.handle_or_stop()
    session.gate(Permission.ADMINISTER, "Administration")
    tabs = st.tabs(["Accounts", "The place", "Backups", "Recent changes"], key="admin.tab")
    with tabs[0]:
        accounts_section()
    with tabs[1]:
        settings_section()
    with tabs[2]:
        backup_section()
    with tabs[3]:
        audit_section()


main()
