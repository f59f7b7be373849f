"""drop the index on barrier_sites.category (issue 13: the site join at 1,000,000 reports)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 21:10:00

A category holds about a tenth of the sites, so the index never narrows a query much; but
PostgreSQL's generic plan for the site join's candidate query (prepared by psycopg after five
runs) combined it with the spatial index in a BitmapAnd: at 1,000,000 reports it read 40,388
index entries to find 2 sites, 3.0 ms instead of 0.2 ms through the spatial index alone. The
duplicate check (the same nearest-sites query) had the same plan.
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_barrier_sites_category", table_name="barrier_sites")


def downgrade():
    op.create_index("ix_barrier_sites_category", "barrier_sites", ["category"], unique=False)
