"""The spatial seam: same answers on SpatiaLite and PostGIS, and always through the index."""

import random
import re
from datetime import UTC, datetime

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import func, insert, select, text

from fieldaudit.areas import area_for_point
from fieldaudit.crs import bbox_to_metric, to_metric, to_wgs84
from fieldaudit.models import Area, BarrierReport
from fieldaudit.spatial import backend

# Herlev in EPSG:25832 (DOMAIN.md).
E0, E1, N0, N1 = 712_950, 717_240, 6_178_860, 6_184_570


def insert_points(db, n, seed=7):
    rng = random.Random(seed)
    points = [(rng.uniform(E0, E1), rng.uniform(N0, N1)) for _ in range(n)]
    now = datetime.now(UTC)
    rows = [
        {
            "uuid": f"00000000-0000-4000-8000-{i:012d}",
            "content_hash": "x",
            "geom": f"SRID=25832;POINT({x} {y})",
            "category": "step",
            "severity": "low",
            "groups": [],
            "tags": [],
            "measurements": {},
            "description": "",
            "created_at": now,
            "received_at": now,
            "reporter_name": "",
            "show_name": False,
            "status": "new",
            "status_reason": "",
            "hidden": False,
        }
        for i, (x, y) in enumerate(points)
    ]
    db.session.execute(insert(BarrierReport), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE barrier_reports"))
    return points


def ids(db, stmt):
    return sorted(db.session.scalars(stmt))


def test_crs_round_trip_is_within_a_millimetre():
    e, n = to_metric(12.4437, 55.7189)
    assert E0 < e < E1 and N0 < n < N1
    lon, lat = to_wgs84(e, n)
    assert lon == pytest.approx(12.4437, abs=1e-8) and lat == pytest.approx(55.7189, abs=1e-8)
    box = bbox_to_metric((12.393, 55.708, 12.459, 55.760))
    assert box[0] < E0 + 200 and box[2] > E1 - 200


def test_bbox_filter_matches_brute_force(db):
    points = insert_points(db, 800)
    spatial = backend(db.session)
    box = (714_000.0, 6_180_000.0, 714_800.0, 6_181_000.0)
    got = ids(db, select(BarrierReport.id).where(spatial.bbox_filter(BarrierReport.geom, box)))
    expected = [
        i + 1 for i, (x, y) in enumerate(points) if box[0] <= x <= box[2] and box[1] <= y <= box[3]
    ]
    assert got == expected and len(got) > 5


def test_within_distance_and_nearest_match_brute_force(db):
    points = insert_points(db, 800)
    spatial = backend(db.session)
    cx, cy, r = 715_000.0, 6_181_500.0, 300.0
    got = ids(
        db, select(BarrierReport.id).where(spatial.within_distance(BarrierReport.geom, cx, cy, r))
    )
    dist = {i + 1: ((x - cx) ** 2 + (y - cy) ** 2) ** 0.5 for i, (x, y) in enumerate(points)}
    assert got == sorted(i for i, d in dist.items() if d <= r)
    nearest = db.session.scalars(
        spatial.nearest(select(BarrierReport.id), BarrierReport.geom, cx, cy, 1000, 5)
    ).all()
    assert nearest == sorted(dist, key=dist.get)[:5]


def _plan(db, stmt):
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "postgresql":
        return "\n".join(r[0] for r in db.session.execute(text(f"EXPLAIN {compiled}")))
    rows = db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    return "\n".join(str(r[-1]) for r in rows)


def _uses_spatial_index(db, plan, index):
    if db.engine.dialect.name == "postgresql":
        return index in plan
    # SQLite: the R*Tree searched with its box constraints (a full scan has none).
    searched = re.search(rf"SCAN {index} VIRTUAL TABLE INDEX 2:[A-D]\d", plan)
    return searched is not None and "SCAN barrier" not in plan


@pytest.mark.parametrize("query", ["bbox", "within", "nearest"])
def test_spatial_queries_use_the_index(db, query):
    insert_points(db, 3000)
    spatial = backend(db.session)
    geom = BarrierReport.geom
    stmt = {
        "bbox": select(BarrierReport.id).where(
            spatial.bbox_filter(geom, (714_000, 6_180_000, 714_500, 6_180_500))
        ),
        "within": select(BarrierReport.id).where(spatial.within_distance(geom, 715e3, 6181e3, 30)),
        "nearest": spatial.nearest(select(BarrierReport.id), geom, 715e3, 6181e3, 30, 5),
    }[query]
    plan = _plan(db, stmt)
    assert _uses_spatial_index(db, plan, "idx_barrier_reports_geom"), plan


def test_area_lookup_uses_the_index(herlev):
    spatial = backend(herlev.session)
    stmt = select(Area.id).where(spatial.contains_point(Area.geom, 715e3, 6181e3))
    if herlev.engine.dialect.name == "postgresql":
        herlev.session.execute(text("SET enable_seqscan = off"))  # 23 rows: force the choice
    plan = _plan(herlev, stmt)
    assert _uses_spatial_index(herlev, plan, "idx_areas_geom"), plan


def test_area_for_point_inside_nearest_and_none(herlev):
    x, y = to_metric(12.4437, 55.7189)  # Herlev Station
    assert area_for_point(herlev.session, x, y).name == "Herlev Station"
    station = herlev.session.scalar(select(Area).where(Area.name == "Herlev Station"))
    east_x, east_y = max(to_shape(station.geom).geoms[0].exterior.coords)
    assert area_for_point(herlev.session, east_x + 20, east_y).name == "Herlev Station"
    beyond = area_for_point(herlev.session, east_x + 40, east_y)
    assert beyond is None or beyond.name != "Herlev Station"


def test_point_in_the_smallest_containing_area(herlev):
    playground = herlev.session.scalar(select(Area).where(Area.kind == "playground"))
    point = to_shape(playground.geom).representative_point()
    assert area_for_point(herlev.session, point.x, point.y).id == playground.id


def test_area_index_gives_the_database_answer_everywhere(herlev):
    """The in-memory area index applies the rule of the spatial SQL: 2,000 points over Herlev
    and along every area's edge (inside, just outside, 24 and 26 m away)."""
    import numpy as np

    from fieldaudit.areas import area_for_point_in_database, area_index

    rng = random.Random(11)
    points = [(rng.uniform(E0, E1), rng.uniform(N0, N1)) for _ in range(1500)]
    for area in herlev.session.scalars(select(Area).where(Area.kind != "municipality")):
        ring = to_shape(area.geom).geoms[0].exterior
        for fraction in (0.1, 0.35, 0.6, 0.85):
            edge = ring.interpolate(fraction, normalized=True)
            cx, cy = ring.centroid.x, ring.centroid.y
            length = max(((edge.x - cx) ** 2 + (edge.y - cy) ** 2) ** 0.5, 1.0)
            for offset in (-1.0, 1.0, 24.0, 26.0):
                points.append(
                    (
                        edge.x + (edge.x - cx) / length * offset,
                        edge.y + (edge.y - cy) / length * offset,
                    )
                )
    index = area_index(herlev.session)
    xs, ys = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    many = index.locate_many(xs, ys)
    differ = 0
    for (x, y), vectorised in zip(points, many, strict=True):
        expected = area_for_point_in_database(herlev.session, x, y)
        expected_id = expected.id if expected else None
        found = area_for_point(herlev.session, x, y)
        differ += (found.id if found else None) != expected_id or vectorised != expected_id
    assert len(points) > 1500 and differ == 0


def test_area_index_follows_changes_to_the_areas(herlev):
    """An index built before an area changed elsewhere (another session, as another worker
    process would) is not used again: the next session sees the change."""
    from shapely.geometry import MultiPolygon, box
    from sqlalchemy.orm import Session

    from fieldaudit.areas import AreaFeature, upsert_area

    x, y = 714_000.0, 6_180_000.0
    before = area_for_point(herlev.session, x, y)
    herlev.session.remove()
    with Session(herlev.engine) as other:
        upsert_area(
            other,
            AreaFeature("Testplads", "square", MultiPolygon([box(x - 2, y - 2, x + 2, y + 2)])),
        )
        other.commit()
    assert area_for_point(herlev.session, x, y).name == "Testplads"
    herlev.session.remove()
    with Session(herlev.engine) as other:
        area = other.scalar(select(Area).where(Area.name == "Testplads"))
        upsert_area(
            other,
            AreaFeature("Testplads", "square", MultiPolygon([box(x + 100, y, x + 104, y + 4)])),
        )
        other.commit()
        assert area.id is not None
    moved = area_for_point(herlev.session, x, y)
    assert moved is None or moved.name != "Testplads"
    assert area_for_point(herlev.session, x + 102, y + 2).name == "Testplads"
    assert before is None or before.name != "Testplads"


def _turn_is_free(path: str) -> bool:
    """Whether another open file could take the writers' turn of ``path`` now."""
    import fcntl
    import os

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing gives up a turn taken here
    return True


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_sqlite_writer_holds_its_turn_until_its_transaction_ends(db, end):
    """On SpatiaLite a join waits in the kernel's queue of writers (``database.WriterTurn``)
    rather than in SQLite's sleeping busy handler: the turn is held from before
    ``BEGIN IMMEDIATE`` and given up at the commit, the rollback, or the connection's return
    to the pool, so no writer keeps the others waiting after its transaction."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the writers' queue is SQLite's (PostGIS joins take advisory locks)")
    from fieldaudit.database import writer_turn

    db.session.remove()
    connection = db.engine.connect()
    turn = writer_turn(connection)
    assert turn is not None and _turn_is_free(turn.path)
    backend(db.session).hold_join_locks(connection, [1])
    assert connection.connection.dbapi_connection.in_transaction
    assert not _turn_is_free(turn.path)  # another writer waits
    if end == "close":
        connection.close()
    else:
        getattr(connection, end)()
    assert _turn_is_free(turn.path)
    connection.close()


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_sqlite_writer_gives_up_its_turn_only_after_its_write_lock(db, end):
    """The next writer in the queue is woken only once SQLite's write lock is free: woken
    before (at the engine's commit event, which comes before the commit), it would find the
    lock taken and sleep in SQLite's busy handler (1 ms at least) while holding the turn."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the writers' queue is SQLite's (PostGIS joins take advisory locks)")
    from fieldaudit.database import sqlite_module, writer_turn

    db.session.remove()
    connection = db.engine.connect()
    turn = writer_turn(connection)
    assert turn is not None
    lock_free_at_end: list[bool] = []
    other = sqlite_module().connect(db.engine.url.database, timeout=0, isolation_level=None)

    def write_lock_free() -> bool:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite_module().OperationalError:
            return False
        other.execute("ROLLBACK")
        return True

    end_turn = turn.end

    def end_and_look() -> None:
        if turn.held:
            lock_free_at_end.append(write_lock_free())
        end_turn()

    turn.end = end_and_look  # type: ignore[method-assign]
    try:
        backend(db.session).hold_join_locks(connection, [1])
        assert not write_lock_free()  # BEGIN IMMEDIATE: the turn's holder has the write lock
        if end == "close":
            connection.close()
        else:
            getattr(connection, end)()
        assert lock_free_at_end == [True]
    finally:
        turn.end = end_turn  # type: ignore[method-assign]
        connection.close()
        other.close()


def test_driver_rows_are_the_rows_sqlalchemy_reads(db):
    """``database.driver_rows`` (the candidate read of a join on SpatiaLite) gives the rows a
    statement gives through SQLAlchemy, as the driver returns them; no cursor event fires
    (listeners such as Flask-SQLAlchemy's query recording expect an execution context); a
    driver error comes as SQLAlchemy's, as from any statement (the app answers 503 for
    those); a statement with a list parameter (spelled out at every execution) is refused."""
    from sqlalchemy import bindparam, event, exc, literal, table

    from fieldaudit.database import driver_rows

    insert_points(db, 50)
    statement = (
        select(BarrierReport.id, BarrierReport.category, func.ST_X(BarrierReport.geom))
        .where(BarrierReport.status.in_([literal("new")]), BarrierReport.id > bindparam("low"))
        .order_by(BarrierReport.id)
    )
    connection = db.session.connection()
    seen = []

    def see(_connection, _cursor, _sql, _params, context, _many):
        seen.append(context._fsa_start_time)  # as Flask-SQLAlchemy's recording does

    event.listen(db.engine, "before_cursor_execute", see)
    try:
        rows = driver_rows(connection, statement, {"low": 10})
    finally:
        event.remove(db.engine, "before_cursor_execute", see)
    assert len(rows) == 40 and seen == []
    assert rows == [tuple(row) for row in connection.execute(statement, {"low": 10})]
    with pytest.raises(exc.DBAPIError):
        driver_rows(connection, select(text("1")).select_from(table("no_such_table")), {})
    db.session.rollback()
    expanding = select(BarrierReport.id).where(BarrierReport.status.in_(["new", "verified"]))
    with pytest.raises(ValueError):
        driver_rows(db.session.connection(), expanding, {})
