def test_login_page_is_dutch_by_default(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert response["Content-Language"] == "nl"
