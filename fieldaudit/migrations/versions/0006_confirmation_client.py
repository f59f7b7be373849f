"""confirmations count once per person and day; cells count public sites only

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00

* ``site_confirmations.count_key``: SHA-256 of who confirmed (the account, else the device,
  else a keyed hash of the client address) and the day in Herlev; a site counts each key
  once. Existing confirmations get theirs from their account or device and the day they were
  received (those with neither count once per site and day: their address was never kept).
* ``barrier_sites.anonymous_confirmation_count``: the counted confirmations without an
  account, whose weight in the priority score is capped. The counts of existing sites are
  recounted here; their scores follow at the next ``fieldaudit sites rescore``.
* ``site_cells`` is recounted with public sites only (verified, planned, fixed, closed).
"""

import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LEVELS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000)  # as fieldaudit.site_cells.LEVELS
PUBLIC = "('verified', 'planned', 'fixed', 'closed')"  # fieldaudit.status.PUBLIC_SITE_STATUSES
SHOWN_BEFORE = "NOT IN ('rejected', 'duplicate')"  # what 0004 counted
DAY = ZoneInfo("Europe/Copenhagen")
BATCH = 1000


def _count_key(reporter_id, device, received_at) -> str:
    """fieldaudit.sites.confirmation_count_key as of this migration (no address known)."""
    if reporter_id is not None:
        who = f"user:{reporter_id}"
    elif device:
        who = f"device:{device}"
    else:
        who = "unknown"
    if isinstance(received_at, str):
        received_at = datetime.fromisoformat(received_at)
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=UTC)
    day = received_at.astimezone(DAY).date().isoformat()
    return hashlib.sha256(f"{who}|{day}".encode()).hexdigest()


def _fill_count_keys(bind) -> None:
    rows = bind.execute(
        sa.text(
            "SELECT id, reporter_id, device_token_hash, received_at FROM site_confirmations "
            "WHERE count_key IS NULL"
        )
    ).all()
    update = sa.text("UPDATE site_confirmations SET count_key = :key WHERE id = :id")
    for start in range(0, len(rows), BATCH):
        bind.execute(
            update,
            [
                {"id": row[0], "key": _count_key(row[1], row[2], row[3])}
                for row in rows[start : start + BATCH]
            ],
        )


def _recount_sites() -> None:
    counted = (
        "(SELECT count(DISTINCT coalesce(c.count_key, c.uuid)) FROM site_confirmations c "
        "WHERE c.site_id = barrier_sites.id AND c.kind = '{kind}'{extra})"
    )
    op.execute(
        "UPDATE barrier_sites SET "
        f"confirmation_count = {counted.format(kind='still_there', extra='')}, "
        "anonymous_confirmation_count = "
        f"{counted.format(kind='still_there', extra=' AND c.reporter_id IS NULL')}, "
        f"fixed_claim_count = {counted.format(kind='fixed_now', extra='')} "
        "WHERE EXISTS (SELECT 1 FROM site_confirmations c WHERE c.site_id = barrier_sites.id)"
    )


def _recount_cells(condition: str) -> None:
    op.execute("DELETE FROM site_cells")
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
                  WHERE status {condition}) AS placed
            GROUP BY gx, gy
            """
        )


def upgrade():
    op.add_column("site_confirmations", sa.Column("count_key", sa.String(64), nullable=True))
    op.add_column(
        "barrier_sites",
        sa.Column(
            "anonymous_confirmation_count", sa.Integer(), nullable=False, server_default="0"
        ),
    )
    _fill_count_keys(op.get_bind())
    _recount_sites()
    _recount_cells(f"IN {PUBLIC}")


def downgrade():
    _recount_cells(SHOWN_BEFORE)
    op.drop_column("barrier_sites", "anonymous_confirmation_count")
    op.drop_column("site_confirmations", "count_key")
