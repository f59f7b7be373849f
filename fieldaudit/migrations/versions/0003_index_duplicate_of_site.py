"""index barrier_reports.duplicate_of_site_id

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:20:00

The foreign key is ON DELETE SET NULL: without an index, deleting a site (as the sites
rebuild does) scans every report.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        op.f("ix_barrier_reports_duplicate_of_site_id"),
        "barrier_reports",
        ["duplicate_of_site_id"],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f("ix_barrier_reports_duplicate_of_site_id"), table_name="barrier_reports")
