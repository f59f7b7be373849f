"""the stored network impact of each public open site (issue 16, the priority's network factor)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 17:40:00

Written by ``fieldaudit sites rescore``, ``fieldaudit network impact`` and the job
``network-impact`` (``fieldaudit/network/impact_store.py``); read by the priority.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "site_network_impacts",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("edge_id", sa.Integer(), nullable=False),
        sa.Column(
            "groups",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["barrier_sites.id"],
            name=op.f("fk_site_network_impacts_site_id_barrier_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_site_network_impacts")),
    )


def downgrade():
    op.drop_table("site_network_impacts")
