"""the population grid that weights the network impact's origins (issue 16)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 17:30:00

``population_cells``: one row per cell of a population grid (Statistics Denmark's 100 m
kvadratnet or the like), its centre in EPSG:25832 and the people living there; replaced as a
whole by ``fieldaudit network population import``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "population_cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column("population", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_population_cells")),
        sa.UniqueConstraint("x", "y", name=op.f("uq_population_cells_x_y")),
        sa.CheckConstraint("population >= 0", name=op.f("ck_population_cells_population_positive")),
    )


def downgrade():
    op.drop_table("population_cells")
