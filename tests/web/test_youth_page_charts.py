import pytest

pytestmark = pytest.mark.django_db


def test_the_youth_page_shows_the_risk_charts_section_and_links_to_monitoring(world, client_for):
    response = client_for("professional").get(
        f"/youth/{world.youth_file.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response.context["domain_charts"] == []  # nothing assessed yet: an empty state
    html = response.content.decode()
    assert "Risk per life domain over time" in html
    assert f"/monitoring/youth/{world.youth_file.pk}/" in html
