"""What people typed, made safe for the two ways a page shows text: Streamlit markdown and
the HTML blocks of the workshop wall."""

from __future__ import annotations

import html
import re


def md(text: str | None) -> str:
    """User text for st.markdown, st.subheader, messages and labels: no HTML (escaped) and no
    markdown tricks (every markdown character taken literally)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|>~])", r"\\\1", html.escape(text or "", quote=False))


def html_text(text: str | None) -> str:
    """User text inside an HTML block: escaped, with its line breaks as <br>. A blank line
    would end the HTML block, and markdown after it (an image from the internet, say) would
    be drawn."""
    return "<br>".join(html.escape(line) for line in (text or "").splitlines())


def leaflet_html(text: str | None) -> str:
    """User text for a folium tooltip or layer name: folium writes these into a JavaScript
    template literal that Leaflet shows as HTML, so besides HTML's characters the backtick,
    ``$`` and backslash are written as character references too."""
    escaped = html.escape(text or "")
    return escaped.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")
