"""The one Jinja2 environment for the HTML reports (plan report, site dossier, market
report): templates from ``cedplans/templates``, every value escaped (autoescape), and an
undefined name an error rather than an empty string.

Templates write their words in English inside ``{% trans %}`` blocks or ``_("...")``
(jinja2.ext.i18n, extracted by Babel as ``babel.cfg`` says); :func:`render` installs the
reader's catalogue for that one rendering, so reports in several languages can be made
side by side.
"""

from __future__ import annotations

import threading
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from atlas import i18n
from atlas.i18n import Translator

TEMPLATES = Environment(
    loader=PackageLoader("cedplans", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
# Each {% trans %} block is written on one line, so the message Babel extracts is the one looked up.

_RENDERING = threading.Lock()
"""The gettext callables are the environment's, so one rendering at a time installs them."""


def report_translator(language: str | None, place_language: str | None = None) -> Translator:
    """The translator a report is written with: ``language`` when given, else the place's
    default language (StoreSettings.language), else English."""
    return i18n.translator(i18n.supported(language) or i18n.supported(place_language) or i18n.SOURCE_LANGUAGE)


def render(template: str, tr: Translator, **values: Any) -> str:
    """``template`` rendered in the language of ``tr`` (its ``lang`` and ``dir`` given to
    the template as ``lang`` and ``dir``)."""
    with _RENDERING:
        TEMPLATES.install_gettext_callables(  # type: ignore[attr-defined]
            tr.gettext, tr.ngettext, newstyle=True)
        return TEMPLATES.get_template(template).render(
            lang=tr.code, dir="rtl" if tr.rtl else "ltr", tr=tr, **values)
