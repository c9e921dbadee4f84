"""The two engines give the same answers: the demo loaded into a DuckDB file and,
separately, into a PostGIS database answers ``atlas nearby`` the same (distances within
1 cm), and the engine's own parts (translation, change counting, locks) behave."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from atlas import queries
from atlas.engines.postgis_dialect import translate
from atlas.store import open_store

ATLAS = str(Path(sys.executable).with_name("atlas"))
SITES = ["-1.9585,52.4977", "feature:1", "asset:2", "Soho Foundry yard"]


def nearby_json(db: Path | str, site: str, radius: int) -> dict:
    out = subprocess.run([ATLAS, "nearby", site, "--radius", str(radius), "--all", "--format", "json", "--db", str(db)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("site", SITES)
def test_nearby_answers_the_same_on_both_engines(site, _demo_store_file, _demo_postgis_template, postgis_server):
    """The PostGIS demo was loaded on its own (not copied), so this compares two loads
    and two query paths: R-tree/bounding boxes on DuckDB, GiST and ST_DWithin on PostGIS."""
    server_db = postgis_server.url_of(_demo_postgis_template)
    for radius in (400, 800, 1500):
        on_duckdb = nearby_json(_demo_store_file, site, radius)
        on_postgis = nearby_json(server_db, site, radius)
        assert on_duckdb == on_postgis
        assert on_duckdb["assets"] or on_duckdb["features"]
    with open_store(_demo_store_file, read_only=True) as a, open_store(server_db, read_only=True) as b:
        for radius in (400, 800, 1500):
            x, y = queries.nearby(a, site, radius), queries.nearby(b, site, radius)
            for left, right in ((x.assets, y.assets), (x.features, y.features)):
                assert [r.id for r in left] == [r.id for r in right]
                assert all(abs(p.distance_m - q.distance_m) < 0.01 for p, q in zip(left, right, strict=True))


def test_placeholders_keep_their_values_when_the_translation_repeats_them():
    (sql,) = translate("SELECT * FROM t WHERE list_contains(tags, ?) AND name LIKE '%a%' AND id = ?")
    assert "%(1)s" in sql and "%(2)s" in sql and "'%%a%%'" in sql


def test_an_app_process_sees_another_programs_write(postgis_database):
    """What the app keys its caches on moves when another connection writes, and only
    once the write is committed."""
    with open_store(postgis_database) as app, open_store(postgis_database) as other:
        before = app.changes()
        with other.transaction():
            other.set_meta("place", "Smethwick")
            assert app.changes() == before  # not yet committed
        assert app.changes() > before
        assert app.settings.place == "Smethwick"


def test_two_programs_do_not_set_up_or_fill_a_store_at_once(postgis_database):
    with open_store(postgis_database) as first, open_store(postgis_database) as second:
        order: list[str] = []

        def hold() -> None:
            with first.exclusive("atlas: demo"):
                order.append("first in")
                time.sleep(0.5)
                order.append("first out")

        worker = threading.Thread(target=hold)
        worker.start()
        time.sleep(0.2)
        with second.exclusive("atlas: demo"):
            order.append("second in")
        worker.join()
        assert order == ["first in", "first out", "second in"]


@pytest.mark.parametrize("sql", ["SELECT a, count(*) FROM t GROUP BY ALL", "SELECT a FROM t ORDER BY ALL"])
def test_duckdb_only_shorthands_are_refused_by_name(sql):
    with pytest.raises(ValueError, match="DuckDB's alone"):
        translate(sql)
