"""Which database objects the migrations manage (SpatiaLite's own tables are left alone)."""

from geoalchemy2 import alembic_helpers

SPATIALITE_TABLE_PREFIXES = (
    "idx_",
    "spatial_ref_sys",
    "geometry_columns",
    "virts_",
    "views_",
    "sql_statements_log",
    "spatialite_history",
    "SpatialIndex",
)
SPATIALITE_TABLES = {"ElementaryGeometries", "KNN", "KNN2", "data_licenses", "spatial_ref_sys_aux"}


def is_spatialite_internal(obj, name, type_, reflected, compare_to):
    """Alembic ``include_object`` hook: skip SpatiaLite's internal tables."""
    if type_ == "table" and (
        name.startswith(SPATIALITE_TABLE_PREFIXES) or name in SPATIALITE_TABLES
    ):
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
