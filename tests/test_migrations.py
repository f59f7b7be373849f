from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from fieldaudit.migrations_filter import is_spatialite_internal as _is_spatialite_internal


def test_models_and_migrations_agree(db):
    """The migrations build exactly the schema the models describe (on this test's database)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": _is_spatialite_internal}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_spatial_columns_are_registered_in_epsg_25832(db):
    rows = db.session.execute(
        text("SELECT f_table_name, srid FROM geometry_columns ORDER BY 1")
    ).all()
    assert [tuple(r) for r in rows] == [
        ("areas", 25832),
        ("barrier_reports", 25832),
        ("barrier_sites", 25832),
        ("network_destinations", 25832),
        ("network_edges", 25832),
        ("network_nodes", 25832),
    ]


def test_0006_counts_confirmations_once_per_device_and_day_and_cells_public_only(
    app, db, herlev, make_report, make_public_report
):
    """Down to 0004 (as before issue 12) and up again: existing confirmations get their count
    keys, the sites their counts, and the map's cells count public sites only."""
    import uuid
    from datetime import UTC, datetime

    from flask_migrate import downgrade, upgrade

    from fieldaudit.models import BarrierSite
    from fieldaudit.site_cells import differences
    from fieldaudit.sites import add_confirmation

    site = make_public_report().site
    make_report(dx=400)  # under review: counted in the cells before, not after
    moment = datetime(2026, 12, 1, 9, tzinfo=UTC)
    for device in ("a" * 64, "a" * 64, "a" * 64, "b" * 64):
        add_confirmation(
            db.session, site, str(uuid.uuid4()), "still_there", moment, None, device, now=moment
        )
    db.session.commit()
    site_id = site.id
    directory = app.extensions["migrate"].directory
    db.session.remove()
    downgrade(directory=directory, revision="0004")
    db.session.execute(text("UPDATE barrier_sites SET confirmation_count = 4"))  # as counted then
    db.session.commit()
    assert differences(db.session) != []  # 0004's cells hold the site under review
    db.session.remove()
    upgrade(directory=directory)
    keys = db.session.execute(text("SELECT count_key FROM site_confirmations")).scalars().all()
    assert len(keys) == 4 and len(set(keys)) == 2 and None not in keys
    stored = db.session.get(BarrierSite, site_id)
    assert (stored.confirmation_count, stored.anonymous_confirmation_count) == (2, 2)
    assert differences(db.session) == []
