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
    ]
