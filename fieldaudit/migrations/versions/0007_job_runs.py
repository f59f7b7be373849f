"""scheduled jobs: each job's last run, result and lease

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 14:00:00

* ``job_runs``: one row per job of ``fieldaudit/jobs.py``; ``claim_version`` and
  ``lease_until`` let exactly one of several runners take a due job.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False, server_default=""),
        sa.Column("error", sa.Text(), nullable=False, server_default=""),
        sa.Column("run_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claim_version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.String(40), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_runs")),
    )


def downgrade():
    op.drop_table("job_runs")
