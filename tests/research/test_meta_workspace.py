"""The research workspace page runs the same engine as `yim meta fit`."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import ALL_PERSONAS
from yim.research.models import MetaAnalysisRun
from yim.stats.meta.dataset import load_table, prepare
from yim.stats.meta.report import fit_from_options

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).resolve().parents[1] / "stats" / "meta" / "reference"


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _molloy_form(**overrides):
    data = {
        "title": "Molloy 2014",
        "data_file": _upload("molloy.csv", (REFERENCE / "molloy2014.csv").read_bytes()),
        "input_kind": "r",
        "r": "ri",
        "n": "ni",
        "study": "authors",
        "method": "REML",
        "test": "z",
    }
    data.update(overrides)
    return data


def test_a_researcher_uploads_a_table_and_gets_the_engines_numbers(world, client_for):
    client = client_for("researcher")
    response = client.post("/research/meta/new/", _molloy_form())
    assert response.status_code == 302
    run = MetaAnalysisRun.objects.get()
    assert run.owner == world.researcher
    direct = fit_from_options(
        prepare(load_table(REFERENCE / "molloy2014.csv"), r="ri", n="ni", study="authors"),
        method="REML",
        test="z",
    )
    expected = direct.result.coefficients[0]
    stored = run.result["coefficients"][0]
    assert stored["estimate"] == pytest.approx(expected.estimate, rel=1e-12)
    assert stored["se"] == pytest.approx(expected.se, rel=1e-12)
    detail = client.get(f"/research/meta/{run.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert detail.status_code == 200
    assert f"{expected.estimate:.4f}" in detail.content.decode()


def test_the_report_is_served_sandboxed_without_script(world, client_for):
    client = client_for("researcher")
    client.post("/research/meta/new/", _molloy_form())
    run = MetaAnalysisRun.objects.get()
    report = client.get(f"/research/meta/{run.pk}/report/")
    assert report.status_code == 200
    csp = report["Content-Security-Policy"]
    assert "sandbox" in csp and "script-src" not in csp and "default-src 'none'" in csp
    assert "<svg" in report.content.decode()
    download = client.get(f"/research/meta/{run.pk}/result.json")
    assert download.json()["coefficients"][0]["name"] == "intrcpt"


def test_a_three_level_model_is_fitted_when_an_effect_size_id_is_given(world, client_for):
    response = client_for("researcher").post(
        "/research/meta/new/",
        {
            "title": "Konstantopoulos",
            "data_file": _upload("k.csv", (REFERENCE / "konstantopoulos2011.csv").read_bytes()),
            "input_kind": "yi",
            "yi": "yi",
            "vi": "vi",
            "study": "district",
            "es_id": "school",
            "method": "REML",
            "test": "t",
        },
    )
    assert response.status_code == 302
    result = MetaAnalysisRun.objects.get().result
    assert len(result["variance_components"]) == 2


def test_every_data_problem_is_named_by_row_and_column_and_nothing_is_saved(world, client_for):
    bad = b"study,ri,ni\nA,0.2,50\nB,1.5,40\nC,abc,30\nD,0.1,2\n"
    response = client_for("researcher").post(
        "/research/meta/new/",
        _molloy_form(data_file=_upload("bad.csv", bad), study="study"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    problems = response.context["problems"]
    assert any("row 3" in p and "ri" in p for p in problems)
    assert any("row 4" in p and "ri" in p for p in problems)
    assert any("row 5" in p and "ni" in p for p in problems)
    assert not MetaAnalysisRun.objects.exists()


def test_a_missing_column_is_reported(world, client_for):
    response = client_for("researcher").post(
        "/research/meta/new/", _molloy_form(r="correlation"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert any("correlation" in p for p in response.context["problems"])


def test_the_form_names_the_columns_it_needs(world, client_for):
    response = client_for("researcher").post(
        "/research/meta/new/", _molloy_form(r="", n=""), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.context["form"].errors["r"] and response.context["form"].errors["n"]


def test_an_unsupported_file_type_is_refused_on_the_field(world, client_for):
    response = client_for("researcher").post(
        "/research/meta/new/", _molloy_form(data_file=_upload("x.pdf", b"%PDF-1.4"))
    )
    assert response.status_code == 400
    assert response.context["form"].errors["data_file"]


def test_a_researcher_cannot_open_another_researchers_analysis(world, client_for):
    client_for("researcher").post("/research/meta/new/", _molloy_form())
    run = MetaAnalysisRun.objects.get()
    from tests.conftest import make_user, signed_in
    from yim.accounts.models import Role

    other = signed_in(make_user("researcher2", Role.RESEARCHER, world.org))
    for path in ["", "report/", "result.json"]:
        assert other.get(f"/research/meta/{run.pk}/{path}").status_code == 404


@pytest.mark.parametrize("persona", [p for p in ALL_PERSONAS if p != "researcher"])
def test_only_researchers_reach_the_workspace(world, client_for, persona):
    client = client_for(persona)
    assert client.get("/research/meta/").status_code == 404
    assert client.get("/research/meta/new/").status_code == 404


def test_choosing_a_file_offers_its_column_names_to_the_column_fields(world, client_for):
    client = client_for("researcher")
    page = client.get("/research/meta/new/").content.decode()
    assert 'hx-post="/research/meta/columns/"' in page
    assert page.count('list="meta-column-names"') == 6  # yi, vi, r, n, study, es_id
    csv = (REFERENCE / "molloy2014.csv").read_bytes()
    response = client.post("/research/meta/columns/", {"data_file": _upload("m.csv", csv)})
    assert response.status_code == 200
    header = csv.decode().splitlines()[0].replace('"', "").split(",")
    assert response.context["columns"] == header
    html = response.content.decode()
    assert '<datalist id="meta-column-names">' in html
    assert all(f'<option value="{name}">' in html for name in header)


def test_the_column_names_of_a_spreadsheet_are_offered_too(world, client_for):
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["studie", "r", "n"])
    sheet.append(["A", 0.2, 40])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("s.xlsx", buffer.getvalue())
    response = client_for("researcher").post("/research/meta/columns/", {"data_file": upload})
    assert response.context["columns"] == ["studie", "r", "n"]


def test_a_file_that_cannot_be_read_is_named_and_nothing_is_offered(world, client_for):
    client = client_for("researcher")
    refused = client.post("/research/meta/columns/", {"data_file": _upload("x.pdf", b"%PDF-1.4")})
    assert refused.context["columns"] == [] and refused.context["problems"]
    assert "<datalist" not in refused.content.decode()
    empty = client.post("/research/meta/columns/", {"data_file": _upload("e.csv", b"")})
    assert empty.context["columns"] == [] and empty.context["problems"]


@pytest.mark.parametrize("persona", [p for p in ALL_PERSONAS if p != "researcher"])
def test_only_researchers_read_column_names(world, client_for, persona):
    upload = _upload("m.csv", b"study,r,n\nA,0.1,20\n")
    response = client_for(persona).post("/research/meta/columns/", {"data_file": upload})
    assert response.status_code == 404


def test_the_estimators_are_named_in_words(world, client_for):
    page = client_for("researcher").get("/research/meta/new/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "REML: restricted maximum likelihood (recommended)" in html
    assert "DL: DerSimonian–Laird" in html
