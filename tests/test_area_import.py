"""Importing area layers: GeoJSON, GeoPackage and Shapefile, WGS84 or EPSG:25832, and OSM."""

import json
from pathlib import Path

import pyogrio
import pytest
import shapely
from geoalchemy2.shape import to_shape
from shapely import wkb
from sqlalchemy import func, select

from fieldaudit.area_import import AreaFileError, import_areas, read_area_file
from fieldaudit.crs import METRIC, WGS84, reproject
from fieldaudit.models import Area
from fieldaudit.osm import overpass_query, parse_overpass

DATA = Path(__file__).resolve().parent.parent / "data" / "geo"
SAMPLE = Path(__file__).resolve().parent / "data" / "overpass_herlev_sample.json"


def write_layer(path, driver, srid=METRIC):
    """Write the shipped Herlev areas to ``path`` in ``driver`` format and EPSG ``srid``."""
    meta, _fids, geometries, fields = pyogrio.raw.read(DATA / "herlev_areas.geojson")
    names = list(meta["fields"])
    keep = [names.index(n) for n in ("name", "kind", "importance")]
    geoms = [shapely.to_wkb(reproject(wkb.loads(bytes(g)), WGS84, srid)) for g in geometries]
    pyogrio.raw.write(
        path,
        geometry=geoms,
        field_data=[fields[i] for i in keep],
        fields=["name", "kind", "importance"],
        crs=f"EPSG:{srid}",
        driver=driver,
        geometry_type="MultiPolygon",
        promote_to_multi=True,
    )
    return path


def stored_areas(db):
    return {
        (a.name, a.kind): (to_shape(a.geom), a.importance) for a in db.session.scalars(select(Area))
    }


def area_count(db):
    return db.session.scalar(select(func.count()).select_from(Area))


def test_shipped_files_are_approximate_and_complete():
    areas = json.loads((DATA / "herlev_areas.geojson").read_text(encoding="utf-8"))
    assert len(areas["features"]) >= 15
    for feature in areas["features"]:
        assert feature["properties"]["approximate"] is True
        assert "fieldaudit areas import" in feature["properties"]["source"]
    kinds = {f["properties"]["kind"] for f in areas["features"]}
    assert {"park", "square", "path", "station_surroundings"} <= kinds


@pytest.mark.parametrize(
    ("filename", "driver"),
    [
        ("areas25832.geojson", "GeoJSON"),
        ("areas.gpkg", "GPKG"),
        ("areas.shp", "ESRI Shapefile"),
    ],
)
def test_formats_give_the_same_areas_within_half_a_metre(herlev, tmp_path, filename, driver):
    reference = stored_areas(herlev)
    path = write_layer(tmp_path / filename, driver)
    plan = read_area_file(path)
    assert plan.source_srid == METRIC and not plan.skipped
    result = import_areas(herlev.session, plan)
    herlev.session.commit()
    assert result.created == 0 and result.updated == len(plan.features) == 22
    for key, (shape, importance) in stored_areas(herlev).items():
        ref_shape, ref_importance = reference[key]
        assert shape.hausdorff_distance(ref_shape) < 0.5, key
        assert importance == pytest.approx(ref_importance)


def test_reimport_updates_instead_of_duplicating(runner, herlev):
    before = area_count(herlev)
    result = runner.invoke(args=["areas", "import", str(DATA / "herlev_areas.geojson")])
    assert result.exit_code == 0, result.output
    assert "0 created, 22 updated, 0 skipped" in result.output
    assert area_count(herlev) == before == 23


def test_shapefile_without_projection_needs_srid(runner, db, tmp_path):
    path = write_layer(tmp_path / "noprj.shp", "ESRI Shapefile")
    path.with_suffix(".prj").unlink()  # as shapefiles often arrive
    refused = runner.invoke(args=["areas", "import", str(path)])
    assert refused.exit_code != 0 and "--srid" in refused.output
    assert area_count(db) == 0
    accepted = runner.invoke(args=["areas", "import", str(path), "--srid", "25832"])
    assert accepted.exit_code == 0, accepted.output
    assert area_count(db) == 22


def written(path, content):
    path.write_bytes(content)
    return path


def geojson_file(path, features, crs=None):
    collection = {"type": "FeatureCollection", "features": features}
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


SQUARE = {
    "type": "Polygon",
    "coordinates": [[[12.43, 55.73], [12.431, 55.73], [12.431, 55.731], [12.43, 55.73]]],
}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: written(p, b"{ this is not json"), "cannot be read"),
        (lambda p: written(p.with_suffix(".gpkg"), b"\x00garbage" * 100), "cannot be read"),
        (
            lambda p: geojson_file(
                p,
                [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [12.43, 55.73]},
                        "properties": {"name": "Punkt", "kind": "park"},
                    }
                ],
            ),
            "no usable polygons",
        ),
        (
            lambda p: geojson_file(
                p,
                [
                    {
                        "type": "Feature",
                        "geometry": SQUARE,
                        "properties": {"name": "A", "kind": "park"},
                    }
                ],
                crs="urn:ogc:def:crs:EPSG::3857",
            ),
            "not supported",
        ),
        (
            lambda p: geojson_file(
                p, [{"type": "Feature", "geometry": SQUARE, "properties": {"kind": "park"}}]
            ),
            "no name",
        ),
        (
            lambda p: geojson_file(
                p,
                [
                    {
                        "type": "Feature",
                        "geometry": SQUARE,
                        "properties": {"name": "B", "kind": "moon"},
                    }
                ],
            ),
            "unknown kind",
        ),
        (
            lambda p: geojson_file(
                p,
                [
                    {
                        "type": "Feature",
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[12.57, 55.68], [12.58, 55.68], [12.58, 55.69], [12.57, 55.68]]
                            ],
                        },
                        "properties": {"name": "Kongens Have", "kind": "park"},
                    }
                ],
            ),
            "outside Herlev",
        ),
        (
            lambda p: geojson_file(
                p,
                [
                    {
                        "type": "Feature",
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[-179, -80], [179, -80], [179, 80], [-179, -80]]],
                        },
                        "properties": {"name": "Jorden", "kind": "park"},
                    }
                ],
            ),
            "no usable polygons",
        ),
    ],
    ids=[
        "broken-json",
        "broken-gpkg",
        "no-polygons",
        "unknown-crs",
        "no-name",
        "bad-kind",
        "far-away",
        "globe",
    ],
)
def test_bad_files_are_refused_and_change_nothing(runner, herlev, tmp_path, make, message):
    before = stored_areas(herlev)
    path = make(tmp_path / "bad.geojson")
    result = runner.invoke(args=["areas", "import", str(path)])
    assert result.exit_code != 0
    assert message in result.output
    herlev.session.expire_all()
    assert stored_areas(herlev).keys() == before.keys()


def test_invalid_polygon_is_repaired_and_wrong_features_reported(db, tmp_path):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[12.43, 55.73], [12.44, 55.74], [12.44, 55.73], [12.43, 55.74], [12.43, 55.73]]
        ],
    }
    path = geojson_file(
        tmp_path / "mixed.geojson",
        [
            {
                "type": "Feature",
                "geometry": bowtie,
                "properties": {"name": "Sløjfe", "kind": "park"},
            },
            {"type": "Feature", "geometry": None, "properties": {"name": "Tom", "kind": "park"}},
        ],
    )
    plan = read_area_file(path)
    assert [f.name for f in plan.features] == ["Sløjfe"]
    assert plan.features[0].geometry.is_valid and plan.features[0].geometry.area > 1000
    assert [(s.name, s.reason) for s in plan.skipped] == [("Tom", "no geometry")]


def test_missing_file():
    with pytest.raises(AreaFileError, match="no such file"):
        read_area_file("/nonexistent/areas.gpkg")


def test_overpass_query_covers_herlev_and_the_kinds():
    query = overpass_query()
    assert "(55.708,12.393,55.76,12.459)" in query
    for fragment in ("park", "playground", "square", "pedestrian", "footway", "out geom"):
        assert fragment in query


def test_overpass_answer_is_parsed_into_areas():
    features, skipped = parse_overpass(json.loads(SAMPLE.read_text(encoding="utf-8")))
    by_name = {f.name: f for f in features}
    assert set(by_name) == {"Testparken", "playground (OSM way/1002)", "Teststien", "Testpladsen"}
    assert by_name["Testparken"].kind == "park"
    assert 12_000 < by_name["Testparken"].geometry.area < 16_000  # ~125 m x 111 m
    path = by_name["Teststien"]
    assert path.kind == "path" and len(path.geometry.geoms) >= 1
    assert 6 * 240 < path.geometry.area < 6 * 265  # two joined ways, ~252 m long, 6 m wide
    square = by_name["Testpladsen"]
    assert square.kind == "square" and len(square.geometry.geoms[0].interiors) == 1
    assert any("node/4001" in s for s in skipped)
    assert any("way/1005" in s for s in skipped)


def test_fetch_osm_from_saved_answer(runner, db):
    result = runner.invoke(args=["areas", "fetch-osm", "--from-file", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "4 created" in result.output
    again = runner.invoke(args=["areas", "fetch-osm", "--from-file", str(SAMPLE)])
    assert "0 created, 4 updated" in again.output
    assert area_count(db) == 4
