"""Numbers and words on Danish pages: decimal commas, key figures that agree with their list,
status colours, the black-out badge and the Danish CSV (issue 14)."""

import csv
import io
import re
from datetime import UTC, datetime

from flask_babel import refresh

from fieldaudit import report_review, statistics
from fieldaudit.config import private_originals_dir
from fieldaudit.exports import csv as csv_export
from fieldaudit.redaction import Box, covered_fraction, redaction_label
from fieldaudit.taxonomy import GROUP_LABELS, Group


def test_measurements_and_days_have_a_decimal_comma_in_danish(client, db, login, make_report):
    report = make_report(measurements={"threshold_height": {"value": 12, "unit": "cm"}})
    login("reviewer")
    page = client.get(f"/gennemgang/rapporter/{report.id}").get_data(as_text=True)
    assert "12.0 cm" not in page and "2.5 cm" not in page
    assert re.search(r">12 cm<", page), "the measured value"
    assert "højst 2,5 cm" in page
    refresh()  # the test client shares the test's app context, where Babel caches the locale
    english = client.get(f"/gennemgang/rapporter/{report.id}?lang=en").get_data(as_text=True)
    assert "2.5 cm" in english
    refresh()
    stats = client.get("/gennemgang/statistik?lang=da").get_data(as_text=True)
    assert not re.search(r"\d\.\d dage", stats)


def test_days_figure_uses_the_comma(client, db, login, make_report, make_user):
    report = make_report()
    report_review.verify_report(
        db.session, report, make_user("reviewer"), now=datetime(2026, 3, 4, 21, 0, tzinfo=UTC)
    )
    db.session.commit()
    login("reviewer")
    page = client.get("/gennemgang/statistik?lang=da").get_data(as_text=True)
    assert "2,5 dage" in page  # 2 days 12 hours
    refresh()
    assert "2.5 days" in client.get("/gennemgang/statistik?lang=en").get_data(as_text=True)


def test_high_severity_key_figure_agrees_with_the_list(client, db, login, make_report, make_user):
    reviewer = make_user("reviewer")
    verified = make_report(severity="high")
    report_review.verify_report(db.session, verified, reviewer)
    make_report(dx=400, severity="high")  # new: awaits the council
    make_report(dx=800, severity="low")
    rejected = make_report(dx=1200, severity="high")
    report_review.reject_report(db.session, rejected, reviewer, "Ikke fundet")
    db.session.commit()
    figures = statistics.compute(db.session)
    listed = statistics.open_high_sites(db.session)
    assert figures.high_open_sites == len(listed) == 2
    login("reviewer")
    page = client.get("/gennemgang/statistik/statusrapport").get_data(as_text=True)
    assert "heraf 2 med høj alvor" in page
    section = page.split('id="open-high-heading"')[1].split("</section>")[0]
    assert section.count('<th scope="row">#') == 2


def test_verified_is_not_shown_in_danger_red(app):
    css = (app.static_folder + "/css/app.css").replace("//", "/")
    with open(css, encoding="utf-8") as handle:
        text = handle.read()
    rule = re.search(r"\.status-verified \{ color: ([^;]+);", text).group(1)
    assert "danger" not in rule and rule.lower() != "#a4000f"
    assert not re.search(r"series-verified \{ (fill|background): #a4000f", text)


def test_covered_fraction_counts_overlaps_once():
    assert covered_fraction([Box(0, 0, 0.5, 1), Box(0.25, 0, 1, 1)]) == 1.0
    assert abs(covered_fraction([Box(0, 0, 0.5, 0.5), Box(0.25, 0.25, 0.75, 0.75)]) - 0.4375) < 1e-9
    assert redaction_label([Box(0, 0, 1, 1)]).da == "Helt sløret"
    assert redaction_label([Box(0, 0, 0.5, 1), Box(0.5, 0, 1, 1)]).da == "Helt sløret"
    assert redaction_label([Box(0, 0, 0.5, 1)]).da == "Delvist sløret"


def test_badge_says_fully_blacked_out_only_when_it_is(
    app, client, db, login, make_report, make_photo, make_user
):
    report = make_report()
    partly, fully = make_photo(report), make_photo(report, colour=(30, 30, 200))
    reviewer = make_user("reviewer")
    media, private = app.config["MEDIA_DIR"], private_originals_dir(app.config)
    report_review.redact_photo(db.session, partly, reviewer, [Box(0, 0, 0.3, 0.3)], media, private)
    report_review.redact_photo(db.session, fully, reviewer, [Box(0, 0, 0.6, 1)], media, private)
    report_review.redact_photo(db.session, fully, reviewer, [Box(0.5, 0, 1, 1)], media, private)
    db.session.commit()
    login("reviewer")
    page = client.get(f"/gennemgang/rapporter/{report.id}").get_data(as_text=True)
    first = page.split(f'id="photo-{partly.id}-title"')[1].split("</h3>")[0]
    second = page.split(f'id="photo-{fully.id}-title"')[1].split("</h3>")[0]
    assert "Delvist sløret" in first and "Helt sløret" not in first
    assert "Helt sløret" in second and "Delvist" not in second


def test_danish_csv_has_group_names_and_copenhagen_time(db, make_report):
    from fieldaudit.exports.rows import site_rows
    from fieldaudit.models import BarrierSite

    report = make_report(groups=["COG", "MOB", "READ"], created_at="2026-07-01T10:30:15.123456Z")
    site = db.session.get(BarrierSite, report.site_id)
    rows = site_rows(db.session, [site], lang="da")
    danish = list(
        csv.reader(io.StringIO(csv_export.sites_csv(rows, danish=True)[1:]), delimiter=";")
    )
    header, values = danish[0], dict(zip(danish[0], danish[1], strict=True))
    assert "målgrupper" in header
    names = [GROUP_LABELS[Group(code)].da for code in ("COG", "MOB", "READ")]
    assert values["målgrupper"] == ", ".join(names)
    assert values["først_set"] == "2026-07-01 12:30:15"  # CEST, no microseconds
    english = list(csv.reader(io.StringIO(csv_export.sites_csv(rows)[1:])))
    values = dict(zip(english[0], english[1], strict=True))
    assert values["groups"] == "COG MOB READ"
    assert values["first_seen"] == "2026-07-01T10:30:15Z"
