"""The one Jinja2 environment for the HTML reports (plan report, site dossier, market
report): templates from ``cedplans/templates``, every value escaped (autoescape), and an
undefined name an error rather than an empty string."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined

TEMPLATES = Environment(
    loader=PackageLoader("cedplans", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
