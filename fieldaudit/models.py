"""The data model: areas, barrier reports and sites, photos, users and their history.

All geometry is stored in EPSG:25832 (ETRS89 / UTM 32N, metres): distances, buffers and areas
are computed in the database without transforms. WGS84 is produced only at the edges.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask_login import UserMixin
from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldaudit.extensions import db
from fieldaudit.status import Role, Status
from fieldaudit.utc import UTCDateTime, utc_now

METRIC_SRID = 25832
WGS84_SRID = 4326

JSONType = JSON().with_variant(JSONB(), "postgresql")


def new_session_token() -> str:
    """A fresh random session token (what a signed-in session's cookie names its user by)."""
    return secrets.token_urlsafe(32)


class Area(db.Model):
    """A public space or green area: a park, square, playground, path, ..."""

    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("name", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    importance: Mapped[float] = mapped_column(Float, default=1.0)
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    geom: Mapped[Any] = mapped_column(
        Geometry("MULTIPOLYGON", srid=METRIC_SRID, spatial_index=True, nullable=False)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, onupdate=utc_now)


class User(UserMixin, db.Model):
    """A person with an account: volunteer, reviewer, planner or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default=Role.VOLUNTEER.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    invite_token_hash: Mapped[str | None] = mapped_column(String(128), index=True)
    invite_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    # Names the user in the session cookie instead of the (reusable) integer id; replaced on
    # sign-out, password, role and active changes, which ends every session of the user.
    session_token: Mapped[str | None] = mapped_column(
        String(64), unique=True, index=True, default=new_session_token
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str | None:  # Flask-Login: what the session cookie holds
        return self.session_token


class BarrierSite(db.Model):
    """A barrier in one place, merged from the reports that describe it."""

    __tablename__ = "barrier_sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Not indexed (migration 0012): a category holds a tenth of the sites, and PostgreSQL's
    # generic plan for the site join's prepared query combined that index with the spatial
    # one (40,000 index entries read for 2 sites: 3 ms instead of 0.2 ms at 1M reports).
    category: Mapped[str] = mapped_column(String(40))
    # active_history: site_cells needs a site's stored values when they change.
    geom: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=METRIC_SRID, spatial_index=True, nullable=False),
        active_history=True,
    )
    status: Mapped[str] = mapped_column(
        String(20), default=Status.NEW.value, index=True, active_history=True
    )
    severity: Mapped[str] = mapped_column(String(10), active_history=True)
    groups: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tag_counts: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    report_count: Mapped[int] = mapped_column(Integer, default=0, active_history=True)
    confirmation_count: Mapped[int] = mapped_column(Integer, default=0)
    # Of those, the ones without an account (their weight in the priority is capped).
    anonymous_confirmation_count: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )
    fixed_claim_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="SET NULL"), index=True
    )
    priority_score: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    priority_factors: Mapped[dict[str, Any]] = mapped_column(
        JSONType, default=dict, server_default="{}"
    )
    planned_year: Mapped[int | None] = mapped_column(Integer)
    planned_cost_dkk: Mapped[int | None] = mapped_column(Integer)
    status_reason: Mapped[str] = mapped_column(Text, default="")

    area: Mapped[Area | None] = relationship()
    reports: Mapped[list[BarrierReport]] = relationship(
        back_populates="site", foreign_keys="BarrierReport.site_id"
    )


# Visible sites counted per grid cell at several cell sizes (fieldaudit/site_cells.py).
site_cells = db.Table(
    "site_cells",
    Column("level", Integer, primary_key=True),
    Column("gx", Integer, primary_key=True),
    Column("gy", Integer, primary_key=True),
    Column("sites", Integer, nullable=False),
    Column("high", Integer, nullable=False),
    Column("reports", Integer, nullable=False),
    Column("sum_dx", Float, nullable=False),
    Column("sum_dy", Float, nullable=False),
)


class BarrierReport(db.Model):
    """One person's report of a barrier, made on a device and identified by its UUID."""

    __tablename__ = "barrier_reports"
    __table_args__ = (
        CheckConstraint("severity IN ('low', 'medium', 'high')", name="severity_known"),
        CheckConstraint("accuracy_m IS NULL OR accuracy_m >= 0", name="accuracy_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    geom: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=METRIC_SRID, spatial_index=True, nullable=False)
    )
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(40), index=True)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    severity: Mapped[str] = mapped_column(String(10))
    groups: Mapped[list[str]] = mapped_column(JSONType, default=list)
    measurements: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSONType, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    device_token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    reporter_name: Mapped[str] = mapped_column(String(120), default="")
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=Status.NEW.value, index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("barrier_sites.id", ondelete="SET NULL"), index=True
    )
    duplicate_of_site_id: Mapped[int | None] = mapped_column(
        ForeignKey("barrier_sites.id", ondelete="SET NULL"), index=True
    )
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="SET NULL"), index=True
    )

    site: Mapped[BarrierSite | None] = relationship(
        back_populates="reports", foreign_keys=[site_id]
    )
    area: Mapped[Area | None] = relationship()
    reporter: Mapped[User | None] = relationship()
    photos: Mapped[list[Photo]] = relationship(
        back_populates="report", order_by="Photo.position", cascade="all, delete-orphan"
    )


class SiteConfirmation(db.Model):
    """A volunteer's word on an existing site: 'still there' or 'fixed now'."""

    __tablename__ = "site_confirmations"
    __table_args__ = (CheckConstraint("kind IN ('still_there', 'fixed_now')", name="kind_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[int] = mapped_column(
        ForeignKey("barrier_sites.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    device_token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # Who and which day, hashed (sites.confirmation_count_key): a site counts each key once.
    count_key: Mapped[str | None] = mapped_column(String(64))


class Photo(db.Model):
    """A photo of a report, stored without metadata under content-hash file names."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("barrier_reports.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    display_name: Mapped[str] = mapped_column(String(100))
    thumb_name: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str | None] = mapped_column(String(100))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    redacted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    report: Mapped[BarrierReport] = relationship(back_populates="photos")


class HistoryEntry(db.Model):
    """One recorded change of a report or a site: who, when, what before and after."""

    __tablename__ = "history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("barrier_reports.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("barrier_sites.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    actor: Mapped[User | None] = relationship()


class ApiKey(db.Model):
    """A key that lets a trusted system submit through the Open311 API."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class LoginAttempts(db.Model):
    """Failed sign-ins counted per (e-mail, client address) pair or per client address.

    ``key`` is a SHA-256 of the pair or the address, so neither is stored in the clear;
    ``email_hash`` (pairs only) lets ``fieldaudit users unlock`` find every lock of an e-mail.
    """

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JobRun(db.Model):
    """A scheduled job's last run and its lease (``fieldaudit/jobs.py``): one row per job."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    status: Mapped[str | None] = mapped_column(String(20))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    summary: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    run_count: Mapped[int] = mapped_column(Integer, default=0)
    # The claim: a runner sets these with a compare-and-set on claim_version.
    claim_version: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


# --- E-mail (issue 15; the rules are in fieldaudit/mail/) -----------------------------------


class MailMessage(db.Model):
    """One e-mail in the outbox, written in the transaction of the change that causes it and
    sent by ``fieldaudit mail send`` (``mail.outbox``); the idempotency key makes it once."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="da")
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    # A sender's claim: the message is its own until lease_until (two senders never both send).
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class MailSubscription(db.Model):
    """An e-mail address that follows a report (its reporter), a barrier site or an area.

    Follows of sites and areas are stored only once confirmed (double opt-in); unsubscribing
    deletes the row, so following nothing leaves no address behind."""

    __tablename__ = "mail_subscriptions"
    __table_args__ = (CheckConstraint("kind IN ('report', 'site', 'area')", name="kind_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    language: Mapped[str] = mapped_column(String(2), default="da")
    kind: Mapped[str] = mapped_column(String(10))
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("barrier_reports.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("barrier_sites.id", ondelete="CASCADE"), index=True
    )
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class DigestSetting(db.Model):
    """A staff member's digests: reviewers daily (in chosen areas), planners weekly."""

    __tablename__ = "mail_digest_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(2), default="da")
    reviewer_daily: Mapped[bool] = mapped_column(Boolean, default=True)
    planner_weekly: Mapped[bool] = mapped_column(Boolean, default=True)
    # The areas a reviewer's digest covers; empty: every area.
    area_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)


# --- The walking network (issue 16; fieldaudit/network/) -----------------------------------------


class NetworkNode(db.Model):
    """A junction or end of the walking network (EPSG:25832)."""

    __tablename__ = "network_nodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    geom: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=METRIC_SRID, spatial_index=False, nullable=False)
    )


class NetworkEdge(db.Model):
    """A stretch of path, pavement or crossing between two nodes, with its OSM-style facts."""

    __tablename__ = "network_edges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_node: Mapped[int] = mapped_column(ForeignKey("network_nodes.id"), index=True)
    target_node: Mapped[int] = mapped_column(ForeignKey("network_nodes.id"), index=True)
    length_m: Mapped[float] = mapped_column(Float)
    highway: Mapped[str] = mapped_column(String(40), default="")
    surface: Mapped[str] = mapped_column(String(40), default="")
    width_m: Mapped[float | None] = mapped_column(Float)
    incline_pct: Mapped[float | None] = mapped_column(Float)
    kerb: Mapped[str] = mapped_column(String(20), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    ref: Mapped[str] = mapped_column(String(200), default="")
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    geom: Mapped[Any] = mapped_column(
        Geometry("LINESTRING", srid=METRIC_SRID, spatial_index=True, nullable=False)
    )


class Destination(db.Model):
    """A place people go (station, library, school, park entrance) on the walking network."""

    __tablename__ = "network_destinations"
    __table_args__ = (UniqueConstraint("name", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text, default="")
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    geom: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=METRIC_SRID, spatial_index=True, nullable=False)
    )


class PopulationCell(db.Model):
    """People living in one cell of a population grid (its centre in EPSG:25832)."""

    __tablename__ = "population_cells"
    __table_args__ = (
        UniqueConstraint("x", "y"),
        CheckConstraint("population >= 0", name="population_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    population: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200), default="")


class SiteNetworkImpact(db.Model):
    """What a public open site placed on the walking network costs each group
    (``network/impact_store.py``): per group the pairs cut off, the metres added, the
    normalised value the priority uses and the destination pair that gains most."""

    __tablename__ = "site_network_impacts"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("barrier_sites.id", ondelete="CASCADE"), primary_key=True
    )
    edge_id: Mapped[int] = mapped_column(Integer)
    groups: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
