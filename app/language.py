"""The language a person reads the app in: chosen in the sidebar's switcher and kept for
the session; before any choice, the browser's language (``st.context.locale``) when we
have it, else the place's default language, else English. Pages call ``_("...")`` for
every word they show, and ``fmt()`` for numbers, money, dates, distances and areas.

Page addresses never change with the language (``/workshop`` stays ``/workshop``): only
titles and text are translated."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from app import state
from atlas import i18n, models
from atlas.i18n import N_ as N_  # re-exported for pages' module-level tables

_KEY = "language"
_PAGE_KEY = "language_page"
_SETTLED_KEY = "language_settled"


def current() -> str:
    """The code of the language this session reads in (English outside a page's run)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        # No session to ask (a test calling a page's function directly): never open the
        # store just to learn its language.
        return i18n.SOURCE_LANGUAGE
    # Settled once per run: a page asks hundreds of times, and the place's default is a
    # query on the store. A new choice or page settles it again, as does forget().
    asked = (st.session_state.get(_KEY), st.session_state.get(_PAGE_KEY, "workshop"))
    settled = st.session_state.get(_SETTLED_KEY)
    if settled is None or settled[0] != asked:
        settled = (asked, _language_here())
        st.session_state[_SETTLED_KEY] = settled
    return settled[1]


def forget() -> None:
    """Work the language out again on its next use: the place's default has just changed."""
    st.session_state.pop(_SETTLED_KEY, None)


def _language_here() -> str:
    wanted = wanted_language()
    if wanted in i18n.WORKSHOP_LANGUAGES and st.session_state.get(_PAGE_KEY, "workshop") != "workshop":
        # Arabic and Urdu are complete for the workshop only: elsewhere the page reads in
        # the place's language (or English) rather than half in one and half in another.
        place = i18n.supported(_place_language())
        return place if place in i18n.COMPLETE_LANGUAGES else i18n.SOURCE_LANGUAGE
    return wanted


def wanted_language() -> str:
    """The language this session asked for: chosen in the menu, else the browser's, else
    the place's, else English (:func:`current` is what the page can give in it)."""
    chosen = i18n.supported(st.session_state.get(_KEY))
    if chosen:
        return chosen
    browser = i18n.supported(_browser_locale())
    if browser:
        return browser
    return i18n.supported(_place_language()) or i18n.SOURCE_LANGUAGE


def start_run() -> None:
    """At the start of each run, before the menu is drawn: the menu is in the language asked
    for (the workshop's languages translate it too); the page is not known yet."""
    st.session_state.pop(_PAGE_KEY, None)
    forget()  # another session may have changed the place's default since the last run


def fmt() -> i18n.Translator:
    """Numbers, money, dates, distances and areas in this session's language."""
    return i18n.translator(current())


def _(message: str) -> str:
    """``message`` in this session's language (English when the catalogue lacks it)."""
    return i18n.translator(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.translator(current()).ngettext(singular, plural, n)


def value_label(value: str) -> str:
    """A stored value of one of the fixed lists (a feature kind, a need's kind, a scale), a
    common asset category or a shipped vocabulary category's label, as this session reads
    it; a value the catalogues do not know is shown as entered."""
    return models.value_label(fmt(), value)


def currency() -> str:
    """The store's currency (ISO 4217), for ``fmt().money``."""
    return state.store_settings().thresholds.currency


def switcher(page: str) -> None:
    """The language menu, in the sidebar (each language named in itself), for ``page`` (its
    address, ``workshop``), which the rest of the run reads in :func:`current`."""
    codes = list(i18n.LANGUAGES)
    wanted = wanted_language()
    st.session_state[_PAGE_KEY] = page or "atlas_map"
    here = current()
    # The menu shows what the page reads in: before anyone chooses, that follows the place's
    # default, which an admin may change while this session is open.
    st.session_state["language_choice"] = wanted
    st.sidebar.selectbox(
        i18n.translator(wanted).gettext("Language"), codes, key="language_choice",
        format_func=lambda code: i18n.LANGUAGES[code], on_change=_chosen)
    if here != wanted:
        st.sidebar.caption(i18n.translator(wanted).gettext(
            "This page is not translated into {language} yet; it is shown in {shown}.").format(
            language=i18n.LANGUAGES[wanted], shown=i18n.LANGUAGES[here]))
    if i18n.is_rtl(here):
        _right_to_left()


def _chosen() -> None:
    st.session_state[_KEY] = st.session_state["language_choice"]


def _right_to_left() -> None:
    # Streamlit has no page direction setting; the main column and the sidebar are turned
    # right to left by style, which is what the browser does for dir="rtl".
    st.html("<style>[data-testid='stMain'], [data-testid='stSidebar'] {direction: rtl; "
            "text-align: right;}</style>")


def _browser_locale() -> str | None:
    try:
        return st.context.locale
    except Exception:  # noqa: BLE001 - AppTest and old Streamlits have no browser to ask
        return None


def _place_language() -> str | None:
    try:
        return state.store_settings().language
    except Exception:  # noqa: BLE001 - no store yet (the empty-atlas page)
        return None
