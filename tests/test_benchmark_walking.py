"""benchmarks/walking.py at a tiny size, so it cannot rot: it runs end to end, prints both
tables with their columns and ratios, and our walk to every asset listed agrees with the
networkx baseline's to within a metre. No time is asserted (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks import walking


def _table(text: str, first_header: str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the Markdown table whose first column is ``first_header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"\|\s*{first_header}\s*\|", line))
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines[start:]
             if line.startswith("|")]
    rows = []
    for row in cells[2:]:
        if len(row) != len(cells[0]):
            break
        rows.append(row)
    return cells[0], rows


def _check_run(results: list[walking.ExtractResult], out: str, names: list[str]) -> None:
    header, rows = _table(out, "extract")
    assert {"nodes", "edges", "read s", "save s", "network s", "peak MB", "basemap s", "tiles",
            "archive MB"} <= set(header)
    assert [r[0] for r in rows] == names
    for row in rows:
        built = dict(zip(header, row, strict=True))
        assert int(built["edges"].replace(",", "")) > 0 and int(built["tiles"].replace(",", "")) > 0
        assert float(built["peak MB"].replace(",", "")) >= float(built["start MB"].replace(",", ""))

    walk_header = out[out.index("## A 10-minute walk"):]
    header, rows = _table(walk_header, "extract")
    assert {"ours p50 / p95 ms", "networkx p50 / p95 ms", "ratio p50", "ratio p95", "walks compared",
            "max diff m"} <= set(header)
    assert [r[0] for r in rows] == names
    for row in rows:
        timed = dict(zip(header, row, strict=True))
        for column in ("ratio p50", "ratio p95"):
            assert re.fullmatch(r"\d+\.\d+x", timed[column]) and float(timed[column][:-1]) > 0
        ours_p50, ours_p95 = (float(v) for v in timed["ours p50 / p95 ms"].split(" / "))
        assert 0 < ours_p50 <= ours_p95
    assert "Target (issue 14): a catchment in under 0.5 s p95" in out

    # Every asset either method lists was compared, and the walks agree within a metre.
    for result in results:
        w = result.walks
        assert w.origins > 0 and sum(w.candidates) > 0
        assert w.compared >= sum(w.candidates)
        assert w.problems == [] and w.max_diff_m <= walking.TOLERANCE_M
        assert sum(w.assets_reached) > 0  # the walks are not all "unreachable"


def test_walking_benchmark_on_a_tiny_city(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = walking.main(["--sizes", "2k", "--origins", "4", "--monaco", "", "--workdir", str(tmp_path)])
    _check_run(results, capsys.readouterr().out, ["city_2000"])
    # The generated city has the street grid a walk needs: streets that meet, named, with footways.
    from atlas.ground.layers import read_osm_ground

    ground = read_osm_ground(tmp_path / "walk_city_2000.osm.pbf")
    walkable = [f for f in ground if f.walkable]
    assert {f.kind for f in walkable} >= {"residential", "footway"}
    assert all(f.name for f in walkable if f.kind == "residential")
    assert {f.kind for f in ground if not f.walkable and f.layer == "road"} == {"motorway", "service"}
    assert {f.layer for f in ground} >= {"rail", "waterway", "water", "park", "building"}
    # One network: the streets meet at shared nodes, and the canal and railway are crossed.
    import networkx as nx

    graph: nx.Graph = nx.Graph()
    for f in walkable:
        coords = list(f.geom.coords)
        graph.add_edges_from(zip(coords, coords[1:], strict=False))
    assert nx.number_connected_components(graph) == 1 and graph.number_of_nodes() > 100


@pytest.mark.realdata
def test_walking_benchmark_on_monaco(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monaco = shared_data / "osm-monaco" / "monaco.osm.gz"
    # Every asset of Monaco an origin (104): the walks must agree from each, also to the
    # assets made from areas (a school, a church), which are stored as a point in each CRS.
    results = walking.main(["--sizes", "", "--origins", "1000", "--monaco", str(monaco), "--workdir", str(tmp_path)])
    _check_run(results, capsys.readouterr().out, ["monaco"])
