"""The tenant finder: a described space scored against the demo's open space needs, its
distances checked against geopandas in EPSG:27700 from the demo's source files, its
shortlists stored and read back, its CSV parsed, and ``atlas tenants`` run for real."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from atlas import needs_offers, open_store, vocabulary
from atlas.demo import DEMO_DIR
from atlas.errors import InvalidInput, NotFound
from atlas.needs_offers import NeedOfferDraft
from cedplans import tenants
from cedplans.matching import MatchIndex
from cedplans.repository import find_feature_id
from cedplans.tenants import SpaceDescription
from tests.demo_data import demo_asset_table

BNG = 27700
ROOT = Path(__file__).resolve().parents[1]
PORT_LOOP = "Port Loop historic building"
SPACE = SpaceDescription(site=PORT_LOOP, area_m2=300, uses=("community hall", "co-working"), rent="free")


@pytest.fixture(scope="module")
def source():
    """The demo's sites, assets and needs, straight from its files, in EPSG:27700."""
    sites_m = gpd.read_file(DEMO_DIR / "sites.geojson").to_crs(BNG).set_index("name", drop=False)
    table = demo_asset_table()
    assets_m = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table.lon, table.lat), crs=4326).to_crs(BNG)
    needs = pd.read_csv(DEMO_DIR / "needs.csv", keep_default_na=False, na_values=[""]).set_index("id", drop=False)
    return sites_m, assets_m.set_index("name", drop=False), needs


def need_place(source, source_id: str):
    """Where a demo need is: its site's point on surface, else its asset's point."""
    sites_m, assets_m, needs = source
    row = needs.loc[source_id]
    if isinstance(row["site"], str) and row["site"].strip():
        return sites_m.geometry[row["site"]].representative_point()
    return assets_m.geometry[row["asset"]]


def source_ids(store) -> dict[int, str]:
    return dict(store.con.execute("SELECT id, source_id FROM needs_offers").fetchall())


def need_id(store, source_id: str) -> int:
    return store.con.execute("SELECT id FROM needs_offers WHERE source_id = ?", [source_id]).fetchone()[0]


def find(store, space: SpaceDescription = SPACE, **kwargs) -> tenants.TenantSearch:
    return tenants.find_tenants(store, MatchIndex.build(store), space, **kwargs)


def by_asset(search: tenants.TenantSearch) -> dict[str, tenants.Tenant]:
    return {t.asset: t for t in search.tenants}


# -- who comes first ------------------------------------------------------------------------------

def test_those_that_fit_come_first_nearest_first_then_partial_fits_best_first(demo_store):
    search = find(demo_store, top=500)
    fits = [t for t in search.tenants if t.fits]
    partial = [t for t in search.tenants if not t.fits]
    assert fits and partial
    assert search.tenants == fits + partial, "every fit before every partial fit"
    assert [t.distance_m for t in fits] == sorted(t.distance_m for t in fits)
    assert [t.score for t in partial] == sorted((t.score for t in partial), reverse=True)
    assert search.message is None and search.site_name == PORT_LOOP

    found = by_asset(search)
    residents = found["Port Loop residents' group"]
    assert residents.fits and residents.need == "Somewhere on the loop to meet"
    assert search.tenants[0].fits and search.tenants[0].asset == "Port Loop residents' group"  # the nearest that fits
    youth = found["Ladywood Youth Club"]
    assert not youth.fits and search.tenants[0] is not youth
    assert any(g.startswith("Too small") and "300 m²" in g and "600 m²" in g for g in youth.gaps), youth.gaps
    assert "300 m²" in residents.why and "community hall, co-working" in residents.why


def test_every_candidate_is_an_open_space_need_of_a_community_group_or_social_enterprise(demo_store):
    search = find(demo_store, top=500)
    rows = demo_store.con.execute("SELECT id, scale, sector FROM assets").fetchall()
    scale_sector = {r[0]: (r[1], r[2]) for r in rows}
    for t in search.tenants:
        item = needs_offers.get(demo_store, t.need_id)
        assert item.side == "need" and item.kind in ("space", "land") and item.status in ("open", "in progress")
        scale, sector = scale_sector[t.asset_id]
        assert scale == "micro" or sector in ("social", "community"), t.asset
        assert (t.asset_scale, t.sector) == (scale, sector)
    # The developer's own events need (not space) and the hospitals' needs never come up.
    assert not {"Port Loop housing developer", "City Hospital (Sandwell and West Birmingham NHS Trust)"} & set(
        by_asset(search))
    assert len({t.need_id for t in search.tenants}) == len(search.tenants)


def test_every_distance_is_the_geopandas_distance_from_the_sites_point_to_the_needs_place(demo_store, source):
    sites_m, _, _ = source
    here = sites_m.geometry[PORT_LOOP].representative_point()
    search = find(demo_store, top=500)
    ids = source_ids(demo_store)
    assert len(search.tenants) > 20
    for t in search.tenants:
        want = need_place(source, ids[t.need_id]).distance(here)
        assert t.distance_m == pytest.approx(want, abs=1.0), t.asset
    # The search reports where it measured from, in longitude and latitude.
    point = gpd.GeoSeries([here], crs=BNG).to_crs(4326).iloc[0]
    assert (search.lon, search.lat) == pytest.approx((point.x, point.y), abs=1e-5)
    assert by_asset(search)["Port Loop residents' group"].distance_m == pytest.approx(175.5, abs=1.0)


def test_radius_keeps_only_the_groups_within_it(demo_store, source):
    everyone = find(demo_store, top=500)
    near = find(demo_store, top=500, radius_m=600)
    want = {t.need_id for t in everyone.tenants if t.distance_m <= 600}
    assert {t.need_id for t in near.tenants} == want
    assert 0 < len(want) < len(everyone.tenants)
    assert all(t.distance_m <= 600 for t in near.tenants)
    assert "Ladywood Youth Club" in by_asset(near)  # 567 m
    assert "Ladywood childcare co-operative" not in by_asset(near)  # 983 m
    nobody = find(demo_store, top=500, radius_m=50)
    assert nobody.tenants == [] and "within 50 m" in nobody.message


def test_top_keeps_the_first_of_the_list(demo_store):
    everyone = find(demo_store, top=500)
    assert [t.need_id for t in find(demo_store, top=3).tenants] == [t.need_id for t in everyone.tenants[:3]]


# -- what does not fit ------------------------------------------------------------------------------

def test_a_rent_above_a_groups_budget_is_a_gap_naming_both_amounts(demo_store, source):
    _, _, needs = source
    space = replace(SPACE, rent="amount", rent_per_year=10_000)
    found = by_asset(find(demo_store, space, top=500))
    makers = found["Ladywood Makers Collective"]  # can pay £8,000 a year
    assert not makers.fits
    assert "The rent, £10,000 a year, is more than the £8,000 Ladywood Makers Collective can pay." in makers.gaps
    cafe = found["Café Kavarna"]  # can pay £12,000 a year
    assert cafe.fits and not any(g.startswith("The rent") for g in cafe.gaps)
    # Every group: a rent gap exactly where the need's budget (from the demo file) is below the rent.
    ids = source_ids(demo_store)
    for t in found.values():
        budget = needs.loc[ids[t.need_id], "annual_value"]
        over = pd.notna(budget) and budget < 10_000
        assert any(g.startswith("The rent") for g in t.gaps) == over, t.asset
        if over:
            assert not t.fits, t.asset
    # Free, the makers fit.
    assert by_asset(find(demo_store, top=500))["Ladywood Makers Collective"].fits


def test_a_peppercorn_rent_is_within_every_budget(demo_store):
    search = find(demo_store, replace(SPACE, rent="peppercorn"), top=500)
    assert not any(g.startswith("The rent") for t in search.tenants for g in t.gaps)
    assert search.space.annual_rent == tenants.PEPPERCORN


def test_a_group_needing_step_free_access_fits_only_a_step_free_space(demo_store):
    childcare = "Ladywood childcare co-operative"
    before = by_asset(find(demo_store, top=500))[childcare]
    assert not before.fits
    assert "Step-free access is needed and the offer does not say it has it." in before.gaps
    after = by_asset(find(demo_store, replace(SPACE, step_free=True), top=500))[childcare]
    assert not any(g.startswith("Step-free") for g in after.gaps)
    assert after.fits
    assert after.distance_m == before.distance_m


def test_fewer_hours_than_a_group_asks_for_is_an_hours_gap(demo_store):
    found = by_asset(find(demo_store, replace(SPACE, hours_per_week=2), top=500))
    residents = found["Port Loop residents' group"]  # asks for 3 hours a week
    assert "Open 2 hours a week; 3 are needed." in residents.gaps and not residents.fits
    tenants_association = found["Ladywood tenants' and residents' association"]  # asks for 2
    assert not any(g.startswith("Open ") for g in tenants_association.gaps) and tenants_association.fits
    # Enough hours: the residents fit again.
    assert by_asset(find(demo_store, replace(SPACE, hours_per_week=3), top=500))["Port Loop residents' group"].fits


# -- bad input --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "message"), [
    ({"area_m2": 0}, "not a believable floor area"),
    ({"area_m2": 1e9}, "not a believable floor area"),
    ({"area_m2": float("nan")}, "not a believable floor area"),
    ({"uses": ()}, "Say what uses the space suits"),
    ({"uses": ("  ",)}, "Say what uses the space suits"),
    ({"rent": "amount"}, "give the amount a year"),
    ({"rent": "amount", "rent_per_year": -5.0}, "give the amount a year"),
    ({"rent": "lots"}, "Rent: say free, peppercorn, amount"),
    ({"hours_per_week": 200}, "a week has 168"),
    ({"hours_per_week": 0}, "a week has 168"),
    ({"site": "  "}, "Say where the space is"),
])
def test_bad_descriptions_are_refused_with_a_clear_message(demo_store, change, message):
    with pytest.raises(InvalidInput, match=message):
        find(demo_store, replace(SPACE, **change))


def test_an_unknown_site_is_refused_naming_it(demo_store):
    # Not an InvalidInput but the atlas's NotFound (a LookupError), as for every unknown name.
    with pytest.raises(NotFound, match="No site or asset is called 'Nowhere Wharf'"):
        find(demo_store, replace(SPACE, site="Nowhere Wharf"))


# -- which site ---------------------------------------------------------------------------------------

def test_searching_from_an_asset_leaves_out_its_own_needs(demo_store):
    makers = find(demo_store, replace(SPACE, site="Ladywood Makers Collective"), top=500)
    assert "Ladywood Makers Collective" not in by_asset(makers)
    assert "Ladywood Makers Collective" in by_asset(find(demo_store, top=500))


def _social_asset_sharing_an_id_with_a_site(store) -> tuple[int, str, str]:
    """A social-sector asset whose id is also the id of a (different) atlas site."""
    row = store.con.execute(
        "SELECT a.id, a.name, f.name FROM assets a JOIN features f ON f.id = a.id "
        "WHERE a.sector IN ('social', 'community') AND a.feature_id IS DISTINCT FROM f.id ORDER BY a.id LIMIT 1"
    ).fetchone()
    assert row is not None
    return row


def test_a_group_is_found_from_a_site_whatever_the_sites_id(demo_store):
    asset_id, asset, site = _social_asset_sharing_an_id_with_a_site(demo_store)
    needs_offers.add(demo_store, NeedOfferDraft(side="need", asset_id=asset_id, kind="space",
                                                title="A meeting room for volunteer briefings",
                                                tags=("meeting room", "community space"), area_m2=40),
                     by="Grace M.", vocabulary=vocabulary.load(demo_store))
    point = find(demo_store, replace(SPACE, site=_lonlat_of(demo_store, site)), top=500)
    assert asset in by_asset(point), "found from the site's point"
    at_site = find(demo_store, replace(SPACE, site=site), top=500)
    assert asset in by_asset(at_site), f"{asset} (asset {asset_id}) is left out at {site} (feature {asset_id})"


def _lonlat_of(store, site: str) -> str:
    x, y = store.con.execute("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM features "
                             "WHERE id = ?", [find_feature_id(store, site)]).fetchone()
    return f"{x:.7f},{y:.7f}"


# -- shortlists ---------------------------------------------------------------------------------------

def _count(store, table: str) -> int:
    return store.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_shortlist_keeps_the_chosen_groups_and_the_space(demo_store):
    space = replace(SPACE, hours_per_week=12.5, step_free=True, name="the old boat house", rent="amount",
                    rent_per_year=2_400)
    search = find(demo_store, space, top=500)
    chosen = [need_id(demo_store, "n-port-loop-residents-room"), need_id(demo_store, "n-makers-workshop")]
    sid = tenants.save_shortlist(demo_store, "Port Loop spring", search, chosen, by="Tomasz W.")
    saved = tenants.get_shortlist(demo_store, sid)
    assert (saved.id, saved.name, saved.created_by) == (sid, "Port Loop spring", "Tomasz W.")
    assert saved.space == space
    assert sorted(t.need_id for t in saved.tenants) == sorted(chosen)
    original = {t.need_id: t for t in search.tenants}
    for t in saved.tenants:
        o = original[t.need_id]
        assert (t.asset_id, t.asset, t.need, t.need_area_m2, t.why, t.gaps) == (
            o.asset_id, o.asset, o.need, o.need_area_m2, o.why, o.gaps)
        assert t.score == pytest.approx(o.score) and t.distance_m == pytest.approx(o.distance_m)
    assert [t.distance_m for t in saved.tenants] == sorted(t.distance_m for t in saved.tenants)

    other = tenants.save_shortlist(demo_store, "Just the residents", search, chosen[:1], by="Grace M.")
    listed = {r[0]: r for r in tenants.list_shortlists(demo_store)}
    assert listed[sid][1:3] == ("Port Loop spring", "Tomasz W.") and listed[sid][4] == 2
    assert listed[other][4] == 1
    assert [r[0] for r in tenants.list_shortlists(demo_store)] == [other, sid]  # newest first


@pytest.mark.parametrize(("name", "by", "which", "message"), [
    ("", "Tomasz W.", "residents", "Give the shortlist a name"),
    ("   ", "Tomasz W.", "residents", "Give the shortlist a name"),
    ("Spring", "", "residents", "Say who is saving"),
    ("Spring", "Tomasz W.", None, "Tick at least one group"),
    ("Spring", "Tomasz W.", "not in the search", "Tick at least one group"),
])
def test_a_shortlist_without_a_name_an_author_or_a_group_is_refused_and_writes_nothing(demo_store, name, by, which,
                                                                                          message):
    search = find(demo_store, top=500)
    chosen = {"residents": [need_id(demo_store, "n-port-loop-residents-room")], None: [],
              "not in the search": [need_id(demo_store, "n-city-hospital-clinical-staff")]}[which]
    with pytest.raises(InvalidInput, match=message):
        tenants.save_shortlist(demo_store, name, search, chosen, by=by)
    assert _count(demo_store, "tenant_shortlists") == 0 and _count(demo_store, "tenant_shortlist_entries") == 0
    assert tenants.list_shortlists(demo_store) == []


def test_a_missing_shortlist_is_not_found(demo_store):
    with pytest.raises(NotFound, match="no tenant shortlist 42"):
        tenants.get_shortlist(demo_store, 42)


def test_a_shortlisted_partial_fit_still_reads_as_a_partial_fit(demo_store):
    search = find(demo_store, top=500)
    youth = by_asset(search)["Ladywood Youth Club"]
    assert not youth.fits
    sid = tenants.save_shortlist(demo_store, "Youth club anyway", search, [youth.need_id], by="Grace M.")
    saved = tenants.get_shortlist(demo_store, sid)
    rows = list(csv.DictReader(io.StringIO(tenants.to_csv(saved.tenants))))
    assert [r["fits"] for r in rows] == ["partly"]


# -- CSV ----------------------------------------------------------------------------------------------

def test_csv_has_the_header_and_one_row_per_tenant(demo_store):
    search = find(demo_store, top=500)
    rows = list(csv.reader(io.StringIO(tenants.to_csv(search.tenants))))
    assert rows[0] == list(tenants.CSV_COLUMNS)
    body = rows[1:]
    assert len(body) == len(search.tenants)
    assert {r[6] for r in body} == {"yes", "partly"}
    for r, t in zip(body, search.tenants, strict=True):
        record = dict(zip(rows[0], r, strict=True))
        assert int(record["need_id"]) == t.need_id and int(record["asset_id"]) == t.asset_id
        assert record["asset"] == t.asset and record["need"] == t.need and record["why"] == t.why
        assert record["fits"] == ("yes" if t.fits else "partly")
        assert float(record["distance_m"]) == pytest.approx(t.distance_m, abs=0.5)
        assert float(record["score"]) == pytest.approx(t.score, abs=1e-3)
        assert record["gaps"] == " | ".join(t.gaps)
        assert record["sector"] == (t.sector or "")
    assert tenants.to_csv([]).splitlines() == [",".join(tenants.CSV_COLUMNS)]


# -- the command line --------------------------------------------------------------------------------

def atlas(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "atlas_cli", *args], check=False, capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def tenants_cli(db: Path, *extra: str) -> subprocess.CompletedProcess:
    return atlas("tenants", "--site", PORT_LOOP, "--area", "300", "--use", "community hall;co-working", *extra,
                 "--db", str(db))


def test_cli_json_is_one_object_with_the_space_and_the_tenants(demo_store_path):
    result = tenants_cli(demo_store_path, "--rent", "free", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"space", "tenants"}
    assert data["space"]["site"] == PORT_LOOP and data["space"]["area_m2"] == 300
    assert data["space"]["uses"] == ["community hall", "co-working"] and data["space"]["rent"] == "free"
    assert data["space"]["rent_per_year"] == 0
    assert len(data["tenants"]) == tenants.DEFAULT_TOP
    for t in data["tenants"]:
        assert {"asset_id", "asset", "need_id", "need", "score", "distance_m", "why", "gaps"} <= set(t)
        assert isinstance(t["gaps"], list) and 0 <= t["score"] <= 1
    # The same list the library gives.
    with open_store(demo_store_path) as store:
        want = find(store)
    assert [t["need_id"] for t in data["tenants"]] == [t.need_id for t in want.tenants]
    assert [t["distance_m"] for t in data["tenants"]] == [t.distance_m for t in want.tenants]
    assert data["tenants"][0]["asset"] == "Port Loop residents' group" and data["tenants"][0]["fits"] is True


@pytest.mark.parametrize(("rent", "kind", "per_year"), [("peppercorn", "peppercorn", 1.0), ("3000", "amount", 3000.0),
                                                         ("£3,000", "amount", 3000.0)])
def test_cli_rent_words_and_amounts(demo_store_path, rent, kind, per_year):
    result = tenants_cli(demo_store_path, "--rent", rent, "--format", "json")
    assert result.returncode == 0, result.stderr
    space = json.loads(result.stdout)["space"]
    assert (space["rent"], space["rent_per_year"]) == (kind, per_year)


def test_cli_refuses_a_rent_it_cannot_read_with_exit_2(demo_store_path):
    result = tenants_cli(demo_store_path, "--rent", "lots")
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--rent 'lots'" in lines[0] and "free, peppercorn or an amount" in lines[0]


def test_cli_save_keeps_the_groups_that_fit_as_a_shortlist(demo_store_path):
    result = tenants_cli(demo_store_path, "--save", "Port Loop spring", "--author", "Tomasz W.", "--top", "500",
                         "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    fitting = sorted(t["need_id"] for t in data["tenants"] if t["fits"])
    assert fitting and len(fitting) < len(data["tenants"])
    with open_store(demo_store_path) as store:
        listed = tenants.list_shortlists(store)
        assert [(r[0], r[1], r[2], r[4]) for r in listed] == [(data["shortlist_id"], "Port Loop spring", "Tomasz W.",
                                                               len(fitting))]
        saved = tenants.get_shortlist(store, data["shortlist_id"])
    assert sorted(t.need_id for t in saved.tenants) == fitting
    assert saved.space.site == PORT_LOOP and saved.space.uses == ("community hall", "co-working")


def test_cli_table_says_how_many_were_saved(demo_store_path):
    result = tenants_cli(demo_store_path, "--save", "Port Loop spring", "--author", "Tomasz W.")
    assert result.returncode == 0, result.stderr
    assert f"Tenants for 300 m² at {PORT_LOOP} (community hall, co-working; free):" in result.stdout
    assert "Saved the " in result.stdout and "“Port Loop spring”" in result.stdout
    assert "Ladywood Youth Club: " in result.stdout  # its gaps are listed


def test_cli_csv_parses(demo_store_path):
    result = tenants_cli(demo_store_path, "--format", "csv", "--top", "500")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == list(tenants.CSV_COLUMNS)
    with open_store(demo_store_path) as store:
        want = find(store, top=500)
    assert [int(r["need_id"]) for r in rows] == [t.need_id for t in want.tenants]
    assert {r["fits"] for r in rows} == {"yes", "partly"}
