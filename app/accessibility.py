"""What the app's shell needs for WCAG 2.1 AA that Streamlit does not give it: drawn once
per run from ``streamlit_app.py``, before the page, so every page has it.

- **Captions readable** (1.4.3, contrast 4.5:1): Streamlit greys captions to about 3.9:1;
  here they keep the text colour of the theme and are only softened (so the light and the
  dark theme both stay above 4.5:1).
- **Visible focus** (2.4.7): a 3 px outline, set apart from the control by 2 px, on
  whatever the keyboard reaches; Streamlit's own focus rings are faint or absent on links
  and buttons of the menu.
- **The menu's lists** (1.3.1): with sections, Streamlit puts each section's ``<li>``
  items inside a ``<div>`` inside the ``<ul>``, which is not a list a screen reader can
  read (axe-core rules ``list`` and ``listitem``). Each section's ``<div>`` is made the
  list (named by its heading) and the outer ``<ul>`` only groups them, by a small script
  that does so again whenever Streamlit redraws the menu. The script is ours and fixed; it
  reads nothing from a person.
"""

from __future__ import annotations

import streamlit as st

FOCUS_OUTLINE_COLOUR = "#1a5fb4"
"""Dark blue: 6.6:1 on white and 5.6:1 on the sidebar's grey, above the 3:1 that focus
indicators need (WCAG 1.4.11)."""

CAPTION_OPACITY = 0.82
"""A caption's share of the body text's strength: enough to set it apart, while its
contrast stays above 4.5:1 on the light and the dark theme."""

STYLE = f"""<style>
[data-testid="stCaptionContainer"] {{ color: inherit !important; opacity: {CAPTION_OPACITY}; }}
a:focus-visible, button:focus-visible, summary:focus-visible, input:focus-visible, textarea:focus-visible,
select:focus-visible, [role="button"]:focus-visible, [role="tab"]:focus-visible, [role="option"]:focus-visible,
[role="combobox"]:focus-visible, [role="checkbox"]:focus-visible, [role="radio"]:focus-visible,
[role="switch"]:focus-visible, [role="slider"]:focus-visible, [tabindex]:focus-visible {{
  outline: 3px solid {FOCUS_OUTLINE_COLOUR} !important; outline-offset: 2px !important; }}
/* The menu script's own element takes no room in the sidebar. */
[data-testid="stElementContainer"]:has(#atlas-menu-lists) {{ display: none; }}
</style>"""

# No "<" in the script's text: Streamlit's sanitiser (DOMPurify) drops a script that has one.
MENU_SCRIPT = """<span id="atlas-menu-lists" hidden></span><script>
(() => {
  if (window.__atlasMenuLists) return;  // once per browser tab; Streamlit keeps the page
  window.__atlasMenuLists = true;
  let ids = 0;
  const mend = () => {
    document.querySelectorAll('ul[data-testid="stSidebarNavItems"]').forEach(ul => {
      const sections = Array.from(ul.children).filter(c => c.tagName === 'DIV');
      if (!sections.length) return;  // no sections: the list holds its items itself
      if (ul.getAttribute('role') !== 'none') ul.setAttribute('role', 'none');
      sections.forEach(div => {
        if (div.getAttribute('role') !== 'list') div.setAttribute('role', 'list');
        const header = div.querySelector(':scope > header[data-testid="stNavSectionHeader"]');
        if (header) {
          if (header.getAttribute('role') !== 'none') header.setAttribute('role', 'none');
          const name = header.querySelector('span') || header;
          if (!name.id) name.id = 'atlas-menu-section-' + (++ids);
          if (div.getAttribute('aria-labelledby') !== name.id) div.setAttribute('aria-labelledby', name.id);
        }
      });
    });
  };
  let queued = false;
  new MutationObserver(() => {
    if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; mend(); }); }
  }).observe(document.body, {childList: true, subtree: true});
  mend();
})();
</script>"""


def apply() -> None:
    """Draw the shell's accessibility fixes (style in the page's head area; the menu
    script in the sidebar, where it takes no visible room)."""
    st.html(STYLE)
    with st.sidebar:
        st.html(MENU_SCRIPT, unsafe_allow_javascript=True, width="content")
