from sqlalchemy import func, select

from fieldaudit.models import Area


def test_init_creates_the_database_and_loads_herlev(runner, db):
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "Database ready" in result.output
    assert "herlev_areas.geojson: 22 created" in result.output
    assert db.session.scalar(select(func.count()).select_from(Area)) == 23
    again = runner.invoke(args=["init"])
    assert "0 created, 22 updated" in again.output


def test_init_without_herlev(runner, db):
    result = runner.invoke(args=["init", "--no-herlev"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Area)) == 0


def test_areas_list(runner, herlev):
    result = runner.invoke(args=["areas", "list"])
    assert "Herlev Station" in result.output and "municipality" in result.output


def test_fetch_osm_print_query(runner):
    result = runner.invoke(args=["areas", "fetch-osm", "--print-query"])
    assert result.exit_code == 0 and "out geom;" in result.output


def test_fetch_osm_unreachable_changes_nothing(runner, db):
    # A closed local port stands in for an unreachable Overpass server: no traffic leaves the machine.
    result = runner.invoke(args=["areas", "fetch-osm", "--url", "http://127.0.0.1:9/api"])
    assert result.exit_code != 0
    assert "could not be reached" in result.output
    assert db.session.scalar(select(func.count()).select_from(Area)) == 0


def test_sites_rebuild_command(runner, db):
    result = runner.invoke(args=["sites", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "0 sites" in result.output
