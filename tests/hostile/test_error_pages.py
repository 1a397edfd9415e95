"""Django's English 400 and CSRF pages are replaced by Indonesian ones."""

from django.test import Client


def test_a_bad_request_gets_an_indonesian_400_page(client, db):
    response = client.get("/katalog/", HTTP_HOST="penyerang.example")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Permintaan tidak sah" in page and "Bad Request" not in page


def test_a_form_without_its_csrf_token_gets_an_indonesian_page(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/masuk/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    page = response.content.decode()
    assert "Formulir kedaluwarsa" in page and "CSRF verification failed" not in page
