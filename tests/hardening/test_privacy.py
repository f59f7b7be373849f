"""Privacy (GDPR): a reporter downloads their data and deletes their account (reports kept,
anonymised); an anonymous reporter downloads their data by device token; and no stored photo
carries any metadata (EXIF, GPS, XMP, ICC, comments, text chunks)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import ExifTags, Image, ImageCms

from fieldaudit.models import BarrierReport, User
from tests.conftest import TEST_PASSWORD
from tests.hardening.conftest import media_files, metadata_in_jpeg

TOKEN = "privacy-device-" + "p" * 40


def test_a_reporter_downloads_their_data(client, db, login, make_report):
    user = login("volunteer")
    make_report(reporter=user, description="Trin ved biblioteket")
    make_report(dx=40, reporter=user)
    page = client.get("/konto/mine-data")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert user.email in text and "Hent mine data (JSON)" in text
    download = client.get("/konto/mine-data.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["Cache-Control"] == "no-store"
    data = json.loads(download.data)
    assert data["account"]["email"] == user.email
    assert len(data["reports"]) == 2
    assert {r["description"] for r in data["reports"]} >= {"Trin ved biblioteket"}
    assert all(55.7 < r["lat"] < 55.77 for r in data["reports"])


def test_deleting_an_account_needs_confirmation_and_keeps_reports_anonymised(
    client, db, login, make_report, csrf
):
    user = login("volunteer")
    report = make_report(reporter=user, reporter_name="Anna", show_name=True)
    user_id, report_id = user.id, report.id
    assert client.get("/konto/slet").status_code == 200
    unconfirmed = client.post("/konto/slet", data={"csrf_token": csrf(), "password": TEST_PASSWORD})
    assert unconfirmed.status_code == 422
    assert "Sæt kryds for at bekræfte sletningen." in unconfirmed.get_data(as_text=True)
    wrong = client.post(
        "/konto/slet", data={"csrf_token": csrf(), "password": "forkert", "confirm": "y"}
    )
    assert wrong.status_code == 422 and "Adgangskoden er forkert." in wrong.get_data(as_text=True)
    assert db.session.get(User, user_id) is not None

    done = client.post(
        "/konto/slet", data={"csrf_token": csrf(), "password": TEST_PASSWORD, "confirm": "y"}
    )
    assert done.status_code == 302 and done.headers["Location"] == "/"
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
    kept = db.session.get(BarrierReport, report_id)
    assert kept is not None
    assert (kept.reporter_id, kept.device_token_hash, kept.reporter_name, kept.show_name) == (
        None,
        None,
        "",
        False,
    )
    # Signed out: the page now asks to sign in.
    assert "/konto/log-ind" in client.get("/konto/mine-data").headers["Location"]


def test_the_last_administrator_cannot_delete_their_account(client, db, login, csrf):
    admin = login("admin")
    answer = client.post(
        "/konto/slet", data={"csrf_token": csrf(), "password": TEST_PASSWORD, "confirm": "y"}
    )
    assert 400 <= answer.status_code < 500
    assert "mindst én aktiv administrator" in answer.get_data(as_text=True)
    assert db.session.get(User, admin.id) is not None


def test_the_pages_need_a_signed_in_user_and_a_csrf_token(client, login):
    for url in ("/konto/mine-data", "/konto/mine-data.json", "/konto/slet"):
        assert "/konto/log-ind" in client.get(url).headers["Location"]
    login("volunteer")
    assert client.post("/konto/slet", data={"password": "x", "confirm": "y"}).status_code == 400


def test_an_anonymous_reporter_downloads_their_data_by_device_token(
    client, herlev, make_report_payload
):
    payload = make_report_payload()
    assert (
        client.post("/api/v1/reports", json=payload, headers={"X-Device-Token": TOKEN}).status_code
        == 201
    )
    client.post("/api/v1/reports", json=make_report_payload(), headers={"X-Device-Token": "o" * 40})
    mine = client.get("/api/v1/my/data", headers={"X-Device-Token": TOKEN})
    assert mine.status_code == 200 and mine.headers["Cache-Control"] == "no-store"
    data = mine.get_json()
    assert data["account"] is None
    assert [r["uuid"] for r in data["reports"]] == [payload["uuid"]]
    nobody = client.get("/api/v1/my/data").get_json()
    assert nobody["reports"] == [] and nobody["confirmations"] == []
    assert client.get("/api/v1/my/data", headers={"X-Device-Token": "x"}).status_code == 400


# --- no metadata in any stored photo ----------------------------------------------------------


def photo_with_everything(fmt: str = "JPEG", colour=(90, 120, 200)) -> bytes:
    """A photo carrying EXIF (camera, GPS, orientation), XMP, an ICC profile and a comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "FieldPhone"
    exif[ExifTags.Base.Model] = "X-1000"
    exif[ExifTags.Base.Artist] = "Anna Andersen"
    exif[ExifTags.Base.Orientation] = 3
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (55.0, 43.0, 8.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (12.0, 26.0, 37.0),
    }
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        b'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
        b'dc:creator="Anna Andersen"/></rdf:RDF></x:xmpmeta>'
    )
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    image = Image.new("RGB", (640, 480), colour)
    if fmt == "JPEG":
        image.save(buffer, "JPEG", exif=exif, xmp=xmp, icc_profile=icc, comment=b"Anna's phone")
    elif fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text("Author", "Anna Andersen")
        info.add_text("XML:com.adobe.xmp", xmp.decode())
        image.save(buffer, "PNG", pnginfo=info, exif=exif, icc_profile=icc)
    else:
        image.save(buffer, fmt, exif=exif, xmp=xmp, icc_profile=icc)
    data = buffer.getvalue()
    assert b"Anna" in data or fmt == "WEBP"
    return data


def test_no_stored_photo_carries_metadata(app, client, herlev, make_report_payload):
    uploads = [
        [
            (photo_with_everything("JPEG"), "a.jpg"),
            (photo_with_everything("PNG", (240, 200, 20)), "b.png"),
        ],
        [(photo_with_everything("WEBP", (10, 200, 10)), "c.webp")],
        [(photo_with_everything("JPEG", (200, 10, 10)), "d.jpg")],
    ]
    for photos in uploads:
        response = client.post(
            "/api/v1/reports",
            data={
                "report": json.dumps(make_report_payload()),
                "photos": [(io.BytesIO(data), name, "image/jpeg") for data, name in photos],
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 201, response.get_json()
    media = Path(app.config["MEDIA_DIR"])
    files = [name for name in media_files(media) if name.endswith(".jpg")]
    assert len(files) == 8  # 4 photos x (display + thumbnail)
    for name in files:
        data = (media / name).read_bytes()
        assert not metadata_in_jpeg(data), (name, metadata_in_jpeg(data))
        assert b"Anna" not in data and b"FieldPhone" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif()
            assert not set(image.info) & {"exif", "icc_profile", "xmp", "comment"}
    assert sorted(media_files(media)) == sorted(files)  # no staging or stray files either
