"""site_cells: visible barrier sites counted per grid cell, for maps of many sites

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:10:00

Filled from the existing sites when the migration runs (fieldaudit/site_cells.py keeps it up
to date afterwards).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LEVELS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000)  # as fieldaudit.site_cells.LEVELS


def upgrade():
    op.create_table(
        "site_cells",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("gx", sa.Integer(), nullable=False),
        sa.Column("gy", sa.Integer(), nullable=False),
        sa.Column("sites", sa.Integer(), nullable=False),
        sa.Column("high", sa.Integer(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("sum_dx", sa.Float(), nullable=False),
        sa.Column("sum_dy", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("level", "gx", "gy"),
    )
    # floor() on PostgreSQL (its CAST rounds); CAST truncates on SQLite (= floor here, x, y > 0).
    floor = "floor" if op.get_bind().dialect.name == "postgresql" else ""
    for level in LEVELS:
        op.execute(
            f"""
            INSERT INTO site_cells (level, gx, gy, sites, high, reports, sum_dx, sum_dy)
            SELECT {level}, gx, gy, count(*),
                   sum(CASE WHEN severity = 'high' THEN 1 ELSE 0 END),
                   coalesce(sum(report_count), 0),
                   sum(x - gx * {level}), sum(y - gy * {level})
            FROM (SELECT CAST({floor}(ST_X(geom) / {level}.0) AS INTEGER) AS gx,
                         CAST({floor}(ST_Y(geom) / {level}.0) AS INTEGER) AS gy,
                         ST_X(geom) AS x, ST_Y(geom) AS y, severity, report_count
                  FROM barrier_sites
                  WHERE status NOT IN ('rejected', 'duplicate')) AS placed
            GROUP BY gx, gy
            """
        )


def downgrade():
    op.drop_table("site_cells")
