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
