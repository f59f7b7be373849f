"""The network impact kept up to date, and the priority following it.

``refresh_network_scores`` brings each public open site's stored impact up to date
(``network/impact_store.refresh_impacts``) and scores again the sites whose impact changed
(``priority.score_site``, which reads the stored impact through ``network_factor``). It stands
above both, so the network's store never reaches up into the priority.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldaudit.models import BarrierSite
from fieldaudit.network.impact_store import Refreshed, refresh_impacts
from fieldaudit.priority import score_site

CHUNK = 500


def rescore_sites(session: Session, site_ids: list[int]) -> None:
    """Score the given sites again (in chunks, for the thousands after a first computation)."""
    for start in range(0, len(site_ids), CHUNK):
        chunk = site_ids[start : start + CHUNK]
        for site in session.scalars(select(BarrierSite).where(BarrierSite.id.in_(chunk))):
            score_site(session, site)
    session.flush()


def refresh_network_scores(session: Session, folder: Path, **options: Any) -> Refreshed:
    """``refresh_impacts`` (same options), then the sites whose impact changed scored again."""
    result = refresh_impacts(session, folder, **options)
    rescore_sites(session, result.changed)
    return result
