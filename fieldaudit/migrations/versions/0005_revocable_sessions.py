"""revocable sessions (users.session_token) and sign-in throttling per (e-mail, address)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:00:00

The session cookie named its user by the integer id, which SQLite gives again to the next
account after a deletion; it now holds ``users.session_token``, a random value replaced when
the user signs out or their password, role or active state changes. Every existing user gets a
token here (which also signs everybody out once).

Failed sign-ins were counted on the account (``users.failed_logins`` / ``locked_until``), so
anyone could lock anyone out; they are now counted per (e-mail, client address) pair and per
client address in ``login_attempts``. The two old columns are dropped with SQLite's own
``ALTER TABLE ... DROP COLUMN`` (3.35+), not a batch copy: the reports' foreign keys to
``users`` are ON DELETE SET NULL, and dropping the table in a copy would unlink them.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("session_token", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("session_token", sa.String))
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_token=secrets.token_urlsafe(32))
        )
    op.create_index(op.f("ix_users_session_token"), "users", ["session_token"], unique=True)
    op.drop_column("users", "failed_logins")
    op.drop_column("users", "locked_until")
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_attempts")),
    )
    op.create_index(
        op.f("ix_login_attempts_email_hash"), "login_attempts", ["email_hash"], unique=False
    )
    op.create_index(
        op.f("ix_login_attempts_last_failure_at"),
        "login_attempts",
        ["last_failure_at"],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f("ix_login_attempts_last_failure_at"), table_name="login_attempts")
    op.drop_index(op.f("ix_login_attempts_email_hash"), table_name="login_attempts")
    op.drop_table("login_attempts")
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "users", sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
    )
    op.drop_index(op.f("ix_users_session_token"), table_name="users")
    op.drop_column("users", "session_token")
