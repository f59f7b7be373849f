"""foundation schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 15:42:29.869020
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_geospatial_table('areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('importance', sa.Float(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('approximate', sa.Boolean(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=25832, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_areas')),
    sa.UniqueConstraint('name', 'kind', name=op.f('uq_areas_name_kind'))
    )
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_areas_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_areas_kind'), ['kind'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('invite_token_hash', sa.String(length=128), nullable=True),
    sa.Column('invite_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_invite_token_hash'), ['invite_token_hash'], unique=False)

    op.create_geospatial_table('barrier_sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=25832, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('groups', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('tag_counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.Column('confirmation_count', sa.Integer(), nullable=False),
    sa.Column('fixed_claim_count', sa.Integer(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('priority_score', sa.Float(), nullable=False),
    sa.Column('planned_year', sa.Integer(), nullable=True),
    sa.Column('planned_cost_dkk', sa.Integer(), nullable=True),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_barrier_sites_area_id_areas'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_barrier_sites'))
    )
    with op.batch_alter_table('barrier_sites', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_barrier_sites_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_barrier_sites_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_barrier_sites_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_barrier_sites_priority_score'), ['priority_score'], unique=False)
        batch_op.create_index(batch_op.f('ix_barrier_sites_status'), ['status'], unique=False)

    op.create_geospatial_table('barrier_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=25832, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('groups', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('measurements', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('device_token_hash', sa.String(length=64), nullable=True),
    sa.Column('reporter_name', sa.String(length=120), nullable=False),
    sa.Column('show_name', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_of_site_id', sa.Integer(), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("severity IN ('low', 'medium', 'high')", name=op.f('ck_barrier_reports_severity_known')),
    sa.CheckConstraint('accuracy_m IS NULL OR accuracy_m >= 0', name=op.f('ck_barrier_reports_accuracy_positive')),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_barrier_reports_area_id_areas'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['duplicate_of_site_id'], ['barrier_sites.id'], name=op.f('fk_barrier_reports_duplicate_of_site_id_barrier_sites'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_barrier_reports_reporter_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['barrier_sites.id'], name=op.f('fk_barrier_reports_site_id_barrier_sites'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_barrier_reports')),
    sa.UniqueConstraint('uuid', name=op.f('uq_barrier_reports_uuid'))
    )
    with op.batch_alter_table('barrier_reports', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_barrier_reports_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_barrier_reports_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_barrier_reports_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_barrier_reports_device_token_hash'), ['device_token_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_barrier_reports_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_barrier_reports_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_barrier_reports_status'), ['status'], unique=False)

    op.create_table('site_confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('device_token_hash', sa.String(length=64), nullable=True),
    sa.CheckConstraint("kind IN ('still_there', 'fixed_now')", name=op.f('ck_site_confirmations_kind_known')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_site_confirmations_reporter_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['barrier_sites.id'], name=op.f('fk_site_confirmations_site_id_barrier_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_confirmations')),
    sa.UniqueConstraint('uuid', name=op.f('uq_site_confirmations_uuid'))
    )
    with op.batch_alter_table('site_confirmations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_confirmations_device_token_hash'), ['device_token_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_confirmations_site_id'), ['site_id'], unique=False)

    op.create_table('history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_history_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_id'], ['barrier_reports.id'], name=op.f('fk_history_report_id_barrier_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['barrier_sites.id'], name=op.f('fk_history_site_id_barrier_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history'))
    )
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_history_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_history_site_id'), ['site_id'], unique=False)

    op.create_table('photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('thumb_name', sa.String(length=100), nullable=False),
    sa.Column('original_name', sa.String(length=100), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('redacted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['barrier_reports.id'], name=op.f('fk_photos_report_id_barrier_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos'))
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photos_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_sha256'), ['sha256'], unique=False)



def downgrade():
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photos_sha256'))
        batch_op.drop_index(batch_op.f('ix_photos_report_id'))

    op.drop_table('photos')
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_history_site_id'))
        batch_op.drop_index(batch_op.f('ix_history_report_id'))

    op.drop_table('history')
    with op.batch_alter_table('site_confirmations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_confirmations_site_id'))
        batch_op.drop_index(batch_op.f('ix_site_confirmations_device_token_hash'))

    op.drop_table('site_confirmations')
    with op.batch_alter_table('barrier_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_barrier_reports_status'))
        batch_op.drop_index(batch_op.f('ix_barrier_reports_site_id'))
        batch_op.drop_index(batch_op.f('ix_barrier_reports_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_barrier_reports_device_token_hash'))
        batch_op.drop_index(batch_op.f('ix_barrier_reports_category'))
        batch_op.drop_index(batch_op.f('ix_barrier_reports_area_id'))
        batch_op.drop_geospatial_index('idx_barrier_reports_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('barrier_reports')
    with op.batch_alter_table('barrier_sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_barrier_sites_status'))
        batch_op.drop_index(batch_op.f('ix_barrier_sites_priority_score'))
        batch_op.drop_index(batch_op.f('ix_barrier_sites_category'))
        batch_op.drop_index(batch_op.f('ix_barrier_sites_area_id'))
        batch_op.drop_geospatial_index('idx_barrier_sites_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('barrier_sites')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_invite_token_hash'))

    op.drop_table('users')
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_areas_kind'))
        batch_op.drop_geospatial_index('idx_areas_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('areas')
