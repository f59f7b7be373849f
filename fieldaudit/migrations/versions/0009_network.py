"""the walking network: nodes, edges and destinations (issue 16)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 14:15:00

Edges and nodes are stored in EPSG:25832 (``fieldaudit/network/``); the graph is rebuilt by
``fieldaudit network import`` and ``fieldaudit network fetch-osm``.
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _geometry(kind: str) -> Geometry:
    return Geometry(
        geometry_type=kind,
        srid=25832,
        dimension=2,
        spatial_index=False,
        from_text="ST_GeomFromEWKT",
        name="geometry",
        nullable=False,
    )


def upgrade():
    op.create_geospatial_table(
        "network_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("geom", _geometry("POINT"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_nodes")),
    )
    op.create_geospatial_table(
        "network_edges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_node", sa.Integer(), nullable=False),
        sa.Column("target_node", sa.Integer(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("highway", sa.String(length=40), nullable=False),
        sa.Column("surface", sa.String(length=40), nullable=False),
        sa.Column("width_m", sa.Float(), nullable=True),
        sa.Column("incline_pct", sa.Float(), nullable=True),
        sa.Column("kerb", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("approximate", sa.Boolean(), nullable=False),
        sa.Column("geom", _geometry("LINESTRING"), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_node"],
            ["network_nodes.id"],
            name=op.f("fk_network_edges_source_node_network_nodes"),
        ),
        sa.ForeignKeyConstraint(
            ["target_node"],
            ["network_nodes.id"],
            name=op.f("fk_network_edges_target_node_network_nodes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_edges")),
    )
    with op.batch_alter_table("network_edges", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_network_edges_geom",
            ["geom"],
            unique=False,
            postgresql_using="gist",
            postgresql_ops={},
        )
        batch_op.create_index(
            batch_op.f("ix_network_edges_source_node"), ["source_node"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_edges_target_node"), ["target_node"], unique=False
        )
    op.create_geospatial_table(
        "network_destinations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("approximate", sa.Boolean(), nullable=False),
        sa.Column("geom", _geometry("POINT"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_destinations")),
        sa.UniqueConstraint("name", "kind", name=op.f("uq_network_destinations_name_kind")),
    )
    with op.batch_alter_table("network_destinations", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_network_destinations_geom",
            ["geom"],
            unique=False,
            postgresql_using="gist",
            postgresql_ops={},
        )


def downgrade():
    with op.batch_alter_table("network_destinations", schema=None) as batch_op:
        batch_op.drop_geospatial_index(
            "idx_network_destinations_geom", postgresql_using="gist", column_name="geom"
        )
    op.drop_geospatial_table("network_destinations")
    with op.batch_alter_table("network_edges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_edges_target_node"))
        batch_op.drop_index(batch_op.f("ix_network_edges_source_node"))
        batch_op.drop_geospatial_index(
            "idx_network_edges_geom", postgresql_using="gist", column_name="geom"
        )
    op.drop_geospatial_table("network_edges")
    op.drop_geospatial_table("network_nodes")
