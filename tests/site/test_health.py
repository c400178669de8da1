def test_healthz_answers_ok_as_plain_text(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert response.mimetype == "text/plain"


def test_home_page_renders_for_an_anonymous_visitor(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Sign in" in response.get_data(as_text=True)
