"""The planning list's two views (verified first), whether a row can be planned, a site's
evidence (photos, texts, map) and the maps' colour bands from the data (issue 14)."""

import json
import re

import pytest

from fieldaudit import report_review
from fieldaudit.map_bands import band_of, quantile_bands
from fieldaudit.models import BarrierSite


@pytest.fixture
def two_sites(db, make_report, make_user, make_photo):
    """A verified site (with a photo) and a new one that awaits the council."""
    verified = make_report(description="Trinnet er 12 cm højt.")
    photo = make_photo(verified)
    report_review.verify_report(db.session, verified, make_user("reviewer"))
    waiting = make_report(dx=900, severity="high", description="Privat: ring til Jens 12345678")
    db.session.commit()
    return (
        db.session.get(BarrierSite, verified.site_id),
        db.session.get(BarrierSite, waiting.site_id),
        photo,
    )


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<tr>.*?</tr>", body, flags=re.S)


def test_the_list_defaults_to_sites_the_council_verified(client, login, two_sites):
    verified, waiting, _photo = two_sites
    login("planner")
    page = client.get("/planlaegning/").get_data(as_text=True)
    rows = _rows(page)
    assert len(rows) == 1 and f"/steder/{verified.id}" in rows[0]
    assert "Kan planlægges" in rows[0]
    assert re.search(
        r'aria-current="page">Klar til planlægning <span class="view-count">\(1\)', page
    )
    assert 'Afventer Handicaprådet <span class="view-count">(1)' in page
    awaiting = client.get("/planlaegning/?status=awaiting").get_data(as_text=True)
    rows = _rows(awaiting)
    assert len(rows) == 1 and f"/steder/{waiting.id}" in rows[0]
    assert "Kan ikke planlægges endnu: afventer Handicaprådet" in rows[0]
    assert "kan ikke planlægges, før rådet har set på dem" in awaiting


def test_site_page_shows_public_photos_texts_and_a_map(client, login, two_sites):
    verified, waiting, photo = two_sites
    login("planner")
    page = client.get(f"/planlaegning/steder/{verified.id}").get_data(as_text=True)
    assert "Trinnet er 12 cm højt." in page
    assert f"/fotos/{photo.id}/thumb" in page
    data = json.loads(page.split('id="site-map-data">')[1].split("</script>")[0])
    assert data["site"]["lat"] == pytest.approx(55.7189, abs=1e-3)
    assert [r["n"] for r in data["reports"]] == [1]
    hidden = client.get(f"/planlaegning/steder/{waiting.id}").get_data(as_text=True)
    assert "ring til Jens" not in hidden  # an unreviewed report's text stays with the council
    assert "Tekst og fotos vises, når Handicaprådet har godkendt rapporten." in hidden
    assert "Kan ikke planlægges endnu" in hidden


def test_photos_on_the_site_page_are_served_to_the_planner(client, login, two_sites):
    verified, _waiting, photo = two_sites
    login("planner")
    page = client.get(f"/planlaegning/steder/{verified.id}").get_data(as_text=True)
    src = re.search(rf'src="([^"]*/{photo.id}/thumb[^"]*)"', page).group(1)
    response = client.get(src)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    response.close()


def test_bands_separate_the_top_of_the_list():
    scores = [400 + i for i in range(25)]  # the old fixed bands put all of these in "≥ 400"
    bands = quantile_bands(scores)
    assert [b.count for b in bands] == [11, 7, 4, 2, 1]  # lowest band first
    assert band_of(bands, 424).number == 5 and band_of(bands, 422).number == 4
    assert band_of(bands, 400).number == 1
    big = quantile_bands([float(i) for i in range(1000)])
    assert [b.count for b in big] == [500, 250, 150, 80, 20]


def test_bands_keep_ties_together_and_say_what_they_cover():
    bands = quantile_bands([100.0] * 30 + [5.0] * 3)
    assert len({band_of(bands, 100.0).number}) == 1
    assert sum(b.count for b in bands) == 33
    top = band_of(bands, 100.0)
    assert top.count == 30 and top.label("da") == "100 point (30 steder)"
    assert quantile_bands([]) == []
    (only,) = quantile_bands([12.5])
    assert only.label("da") == "12,5 point (1 sted)" and only.label("en") == "12.5 points (1 site)"


def test_list_legend_states_the_rule(client, login, two_sites):
    login("planner")
    page = client.get("/planlaegning/").get_data(as_text=True)
    assert "de øverste 2 %, de næste 8 %, 15 % og 25 % og den nederste halvdel" in page
    assert re.search(r"[\d,]+ point \(1 sted\)", page)


def test_how_page_says_only_accepted_reports_count_once_verified(client):
    page = client.get("/planlaegning/saadan-prioriterer-vi").get_data(as_text=True)
    assert "tæller kun de rapporter, rådet har godkendt" in page
