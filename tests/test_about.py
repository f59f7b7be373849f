import pytest


@pytest.mark.parametrize(
    ("url", "danish", "english"),
    [
        ("/tilgaengelighed", "Tilgængelighedserklæring", "Accessibility statement"),
        (
            "/privatliv",
            "Sådan passer vi på dine oplysninger",
            "How we take care of your information",
        ),
    ],
)
def test_information_pages_in_both_languages(client, url, danish, english):
    page = client.get(url)
    assert page.status_code == 200 and danish in page.get_data(as_text=True)
    assert english in client.get(url + "?lang=en").get_data(as_text=True)


def test_privacy_page_states_retention_and_contact(app, client):
    html = client.get("/privatliv").get_data(as_text=True)
    assert f"{app.config['RETENTION_DAYS']} dage" in html
    assert app.config["CONTACT_EMAIL"] in html


def test_help_page_shows_every_category_with_a_picture(client):
    html = client.get("/hjaelp").get_data(as_text=True)
    assert html.count('class="category-picture"') == 20
    assert "Kantsten ikke sænket" in html and "field-icons.svg" in html
