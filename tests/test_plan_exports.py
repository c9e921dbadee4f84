"""Exports written to real files and read back: GeoJSON, GeoPackage, HTML and PDF."""

from __future__ import annotations

import base64
import io
import json
import re
from html.parser import HTMLParser

import geopandas as gpd
import pyogrio
import pypdf
import pytest
import shapely
from PIL import Image

from atlas.errors import InvalidInput
from cedplans import exports, repository
from cedplans.demo import EDGBASTON_TITLE, HOLY_TRINITY_TITLE
from cedplans.model import Partner, Plan, Zone


def plan_id(store, title: str) -> int:
    return next(p.id for p in repository.list_plans(store) if p.title == title)


def words(text: str) -> str:
    """Text with every run of whitespace made one space (PDF tables wrap lines)."""
    return " ".join(text.split())


def test_geojson_holds_every_layer_in_wgs84(demo_store, tmp_path):
    pid = plan_id(demo_store, EDGBASTON_TITLE)
    plan = repository.get_plan(demo_store, pid)
    path = exports.export_geojson(demo_store, pid, tmp_path / "plan.geojson")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert data["plan"]["title"] == EDGBASTON_TITLE and data["plan"]["status"] == "consulted"
    layers = [f["properties"]["layer"] for f in data["features"]]
    assert layers.count("site") == 1
    assert layers.count("zones") == len(plan.zones) == 6
    assert layers.count("partners") == len(plan.partners)
    assert layers.count("ideas") == len(repository.list_ideas(demo_store, pid)) == 5  # the hidden one is left out
    read = gpd.read_file(path)
    assert read.crs.to_epsg() == 4326
    assert read.geometry.notna().all() and read.is_valid.all()
    assert {"LineString", "Point"} < set(read.geom_type) <= {"Polygon", "MultiPolygon", "LineString", "Point"}
    minx, miny, maxx, maxy = read.total_bounds
    assert -2.1 < minx < maxx < -1.8 and 52.4 < miny < maxy < 52.6  # lon/lat order, Birmingham
    lawn = read[read["name"] == "Festival lawn"].iloc[0]
    expected = gpd.GeoSeries([lawn.geometry], crs=4326).to_crs(27700).area.iloc[0]
    assert lawn["area_m2"] == pytest.approx(expected, rel=1e-6)


def test_geopackage_reads_back_with_layers_counts_crs_and_attributes(demo_store, tmp_path):
    pid = plan_id(demo_store, EDGBASTON_TITLE)
    plan = repository.get_plan(demo_store, pid)
    path = exports.export_gpkg(demo_store, pid, tmp_path / "plan.gpkg")
    layers = dict(pyogrio.list_layers(path))
    assert {"site", "zones", "ideas", "partners"} <= set(layers)
    assert layers["zones"] == "MultiPolygon" and layers["ideas"] == "Point" and layers["partners"] == "Point"
    assert layers["zone_lines"] == "MultiLineString" and layers["zone_points"] == "Point"
    assert layers["plan"] is None and layers["actions"] is None and layers["indicators"] is None
    for name in ("site", "zones", "zone_lines", "zone_points", "ideas", "partners"):
        assert pyogrio.read_info(path, layer=name)["crs"] == "EPSG:27700", name

    zones = pyogrio.read_dataframe(path, layer="zones")
    areas = [z for z in plan.zones if z.area_m2]
    assert len(zones) == len(areas) == 4
    assert sorted(zones["name"]) == sorted(z.name for z in areas)
    assert set(zones["use"]) == {"community cafe", "nature", "events", "food growing"}
    # The area attribute is what QGIS will measure on the geometry in EPSG:27700.
    assert zones["area_m2"].to_numpy() == pytest.approx(zones.geometry.area.to_numpy(), rel=1e-6)
    lines = pyogrio.read_dataframe(path, layer="zone_lines")
    assert list(lines["name"]) == ["Reservoir loop path"]
    assert lines["length_m"].iloc[0] == pytest.approx(lines.geometry.length.iloc[0], rel=1e-6)
    assert list(pyogrio.read_dataframe(path, layer="zone_points")["name"]) == ["Saturday market pitch"]

    ideas = pyogrio.read_dataframe(path, layer="ideas")
    visible = repository.list_ideas(demo_store, pid)
    assert len(ideas) == len(visible) == 5
    assert "Cheap followers for your page, click here!" not in set(ideas["text"])
    assert dict(zip(ideas["text"], ideas["votes"], strict=True)) == {i.text: i.votes for i in visible}
    assert set(ideas["author"]) >= {"anonymous", "Amina K."}

    partners = pyogrio.read_dataframe(path, layer="partners")
    assert len(partners) == len(plan.partners) == 6
    row = partners[partners["name"] == "Canal & River Trust"].iloc[0]
    assert (row["role"], row["scale"]) == ("landowner", "macro")
    assert "contact" not in partners.columns  # restricted data stays in the atlas

    site = pyogrio.read_dataframe(path, layer="site")
    assert list(site["name"]) == ["Edgbaston Reservoir and its open spaces"]
    assert zones.geometry.union_all().buffer(1).intersects(site.geometry.iloc[0])
    actions = pyogrio.read_dataframe(path, layer="actions")
    assert sorted(actions["what"]) == sorted(a.what for a in plan.actions)
    indicators = pyogrio.read_dataframe(path, layer="indicators")
    assert dict(zip(indicators["name"], indicators["target"], strict=True)) == {
        i.name: i.target for i in plan.indicators}
    assert pyogrio.read_dataframe(path, layer="plan")["title"].iloc[0] == EDGBASTON_TITLE


def test_a_plan_with_no_site_or_zones_still_exports_every_layer(demo_store, tmp_path):
    plan = repository.create_plan(demo_store, "Just an idea", author="Ann")
    path = exports.export_gpkg(demo_store, plan.id, tmp_path / "empty.gpkg")
    layers = dict(pyogrio.list_layers(path))
    for name in ("site", "zones", "ideas", "partners"):
        assert pyogrio.read_info(path, layer=name)["features"] == 0
    assert "zone_lines" not in layers
    html = exports.export_html(demo_store, plan.id, tmp_path / "empty.html").read_text(encoding="utf-8")
    assert "No zones drawn yet" in html


def test_pdf_report_names_the_plan_partners_and_ideas(demo_store, tmp_path):
    pid = plan_id(demo_store, EDGBASTON_TITLE)
    path = exports.export_pdf(demo_store, pid, tmp_path / "plan.pdf")
    reader = pypdf.PdfReader(path)
    assert reader.metadata.title == EDGBASTON_TITLE
    text = words(" ".join(page.extract_text() for page in reader.pages))
    assert EDGBASTON_TITLE in text
    for partner in repository.get_plan(demo_store, pid).partners:
        assert partner.asset_name in text
    for idea in repository.list_ideas(demo_store, pid):
        assert idea.text in text
    assert "Cheap followers" not in text
    assert "1 contribution(s) hidden by moderators" in text
    # Ideas come by votes: the most voted is printed first.
    assert text.index("Make the path wheelchair-friendly") < text.index("Keep this corner dark")
    assert "£50,000" in text  # money indicator in the store's currency


def test_html_report_is_self_contained_with_a_real_map(demo_store, tmp_path):
    pid = plan_id(demo_store, HOLY_TRINITY_TITLE)
    html = exports.export_html(demo_store, pid, tmp_path / "plan.html").read_text(encoding="utf-8")
    assert "Smethwick CAN" in html and "Nave co-working" in html
    assert "http://" not in html and "https://" not in html  # works offline
    b64 = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    assert image.format == "PNG" and image.width > 1000
    # The map is drawn, not blank: many distinct colours.
    assert len(image.convert("RGB").getcolors(maxcolors=1_000_000)) > 50


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


def test_everything_a_person_typed_is_escaped_in_the_html_report(demo_store, tmp_path):
    evil = '<script>alert("owned")</script>'
    lead = repository.find_asset_id(demo_store, "Smethwick CAN")
    site = repository.find_feature_id(demo_store, "Holy Trinity Church, Smethwick")
    church = repository.site_geometry(demo_store, Plan(title="x", site_feature_id=site))
    plan = repository.create_plan(demo_store, Plan(
        title=f"{evil} & Sons", site_feature_id=site, vision=f"Vision {evil}",
        objectives=[f"Objective {evil}"],
        partners=[Partner(lead, "lead", note='<img src=x onerror="alert(1)">')],
        zones=[Zone("other", church, name=f"Zone {evil}", description="<b>bold</b>")],
    ), author=f"Author {evil}")
    repository.add_idea(demo_store, plan.id, f"Idea {evil}", author=f"Resident {evil}", zone_id=plan.zones[0].id)
    html = exports.export_html(demo_store, plan.id, tmp_path / "evil.html").read_text(encoding="utf-8")

    assert "<script" not in html
    assert "onerror=" not in html.replace("onerror=&#34;", "")  # only ever as escaped text
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt; &amp; Sons" in html
    assert html.count("&lt;script&gt;") >= 6  # title (twice), vision, objective, zone, idea, author
    parser = _Tags()
    parser.feed(html)
    assert "script" not in parser.tags and "img" in parser.tags  # the one image is our map
    assert "onerror" not in parser.attributes
    assert parser.tags.count("img") == 1 and "b" not in parser.tags

    # The PDF shows the same strings as plain text.
    pdf = exports.export_pdf(demo_store, plan.id, tmp_path / "evil.pdf")
    text = words(" ".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages))
    assert f"Idea {evil}" in text and f"{evil} & Sons" in text


def test_exports_never_leave_half_a_file(demo_store, tmp_path):
    pid = plan_id(demo_store, HOLY_TRINITY_TITLE)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "plan.gpkg"
    target.write_bytes(b"an older export")
    with pytest.raises(InvalidInput, match="does not exist"):
        exports.export_gpkg(demo_store, pid, out / "missing" / "plan.gpkg")
    with pytest.raises(InvalidInput, match="is a folder"):
        exports.export_pdf(demo_store, pid, out)
    with pytest.raises(InvalidInput, match="choose one of geojson, gpkg, html, pdf"):
        exports.export(demo_store, pid, out / "plan.shp", "shp")
    assert target.read_bytes() == b"an older export"
    exports.export(demo_store, pid, target, "gpkg")
    assert len(pyogrio.read_dataframe(target, layer="zones")) == 4
    assert sorted(p.name for p in out.iterdir()) == ["plan.gpkg"]  # no temporary files left


def test_zone_geometry_in_the_geopackage_matches_the_plan(demo_store, tmp_path):
    pid = plan_id(demo_store, HOLY_TRINITY_TITLE)
    plan = repository.get_plan(demo_store, pid)
    path = exports.export_gpkg(demo_store, pid, tmp_path / "ht.gpkg")
    zones = pyogrio.read_dataframe(path, layer="zones").set_index("zone_id").to_crs(4326)
    for z in plan.zones:
        assert shapely.equals_exact(shapely.normalize(zones.loc[z.id].geometry),
                                    shapely.normalize(shapely.MultiPolygon([z.geom])), tolerance=1e-7)
