"""Cached queries in the app see every write at once, across sessions, with no restart.

Issue 9: the store's revision was passed to ``st.cache_data`` as ``_key``, and Streamlit
leaves parameters starting with an underscore out of the cache key, so a page kept
showing what it had first read (the atlas said 85 assets while the store held 88). Each
test here runs two page sessions in one process, as two browsers share one app.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from app import state
from atlas import register
from atlas.register import AssetDraft
from tests.app_fixtures import ROOT, no_exception


def _caption_count(at) -> int:
    text = next(c.value for c in at.caption if c.value.startswith("Showing "))
    return int(re.match(r"Showing (\d+) assets", text).group(1))


def test_a_write_in_one_session_shows_in_another_without_a_restart(run_page, demo_store_path):
    first = run_page("atlas_map", demo_store_path)
    no_exception(first)
    before = _caption_count(first)

    # Another person saves an asset on the register page, in a session of its own.
    register_page = run_page("asset_register", demo_store_path)
    register_page.session_state["reg_place"] = (-1.93, 52.48)  # as a click on its map does
    register_page.text_input(key="reg_name").input("Cache test allotment society")
    next(b for b in register_page.button if b.label == "Save the new asset").click().run()
    no_exception(register_page)

    # The first person opens the atlas again: the new asset is counted and listed.
    again = run_page("atlas_map", demo_store_path)
    no_exception(again)
    assert _caption_count(again) == before + 1
    listed = next(d.value for d in again.dataframe if "Name" in d.value.columns)
    assert "Cache test allotment society" in set(listed["Name"])


def test_every_cached_query_is_renewed_by_a_write(run_page, demo_store_path):
    run_page("atlas_map", demo_store_path)  # opens the app's store in this process
    before = {"info": state.info().counts["assets"], "list": state.asset_rows(limit=5_000)[1],
              "search": len(state.search("Cache test", limit=5))}
    with state.writing() as store:
        register.add_asset(store, AssetDraft(name="Cache test lunch club", lon=-1.93, lat=52.48), by="test")
    after = {"info": state.info().counts["assets"], "list": state.asset_rows(limit=5_000)[1],
             "search": len(state.search("Cache test", limit=5))}
    assert after == {"info": before["info"] + 1, "list": before["list"] + 1, "search": before["search"] + 1}


def _cached_functions(tree: ast.AST) -> list[ast.FunctionDef]:
    """Functions handed to st.cache_data or st.cache_resource, by decorator or by call."""
    defs = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}

    def is_cache(node: ast.AST) -> bool:
        target = node.func if isinstance(node, ast.Call) else node
        return isinstance(target, ast.Attribute) and target.attr in ("cache_data", "cache_resource")

    found = [d for d in defs.values() if any(is_cache(dec) for dec in d.decorator_list)]
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and is_cache(n.func)):
        found += [defs[a.id] for a in call.args if isinstance(a, ast.Name) and a.id in defs]
    return found


def test_no_cached_function_hides_an_argument_from_its_key():
    offenders = []
    files = [ROOT / "streamlit_app.py", *sorted((ROOT / "app").rglob("*.py"))]
    for path in files:
        for fn in _cached_functions(ast.parse(Path(path).read_text())):
            args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
            offenders += [f"{path.name}:{fn.lineno} {fn.name}({a.arg})" for a in args if a.arg.startswith("_")]
    assert offenders == [], "st.cache_data leaves these out of the cache key: " + ", ".join(offenders)
