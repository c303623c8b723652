"""Fixtures of the qualitative web tests: a project with a transcript and codes.

Django is imported inside the fixtures, so the pure tests of this folder collect without it.
"""

from __future__ import annotations

import pytest

from tests.qualitative.web_fixtures import TRANSCRIPT


@pytest.fixture
def project(world):
    from yim.qualitative import models as m

    project = m.Project.objects.create(name="JIM triades")
    m.Membership.objects.create(project=project, user=world.researcher, role=m.MemberRole.OWNER)
    project.add_standard_variables()
    return project


@pytest.fixture
def document(project):
    from yim.qualitative import models as m

    document = m.Document.objects.create(
        project=project, name="Interview jongere A1", text=TRANSCRIPT, source_format="txt"
    )
    document.rebuild_turns()
    return document


@pytest.fixture
def codes(project):
    from yim.qualitative import models as m

    theme = m.Code.objects.create(project=project, name="Steun", is_codable=False)
    return {
        "theme": theme,
        "emotional": m.Code.objects.create(
            project=project, name="Emotionele steun", parent=theme, color="#ff0000"
        ),
        "practical": m.Code.objects.create(project=project, name="Praktische steun", parent=theme),
        "home": m.Code.objects.create(project=project, name="Thuis"),
    }
