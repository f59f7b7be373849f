"""e-mail: the outbox, follows of reports, sites and areas, staff digest settings

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 14:00:00

* ``mail_outbox``: one row per e-mail, unique by its idempotency key; written in the
  transaction of the change that causes it, sent by ``fieldaudit mail send``.
* ``mail_subscriptions``: addresses following a report (its reporter), a site or an area.
* ``mail_digest_settings``: reviewers' daily and planners' weekly digests (on unless turned off).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MOMENT = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", MOMENT, nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", MOMENT, nullable=True),
        sa.Column("sent_at", MOMENT, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_mail_outbox_sent_at", "mail_outbox", ["sent_at"])
    op.create_table(
        "mail_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column(
            "report_id",
            sa.Integer(),
            sa.ForeignKey("barrier_reports.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "site_id",
            sa.Integer(),
            sa.ForeignKey("barrier_sites.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "area_id", sa.Integer(), sa.ForeignKey("areas.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.CheckConstraint("kind IN ('report', 'site', 'area')", name="kind_known"),
    )
    for column in ("email", "report_id", "site_id", "area_id"):
        op.create_index(f"ix_mail_subscriptions_{column}", "mail_subscriptions", [column])
    op.create_table(
        "mail_digest_settings",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("reviewer_daily", sa.Boolean(), nullable=False),
        sa.Column("planner_weekly", sa.Boolean(), nullable=False),
        sa.Column("area_ids", JSON, nullable=False),
    )


def downgrade():
    op.drop_table("mail_digest_settings")
    op.drop_table("mail_subscriptions")
    op.drop_table("mail_outbox")
