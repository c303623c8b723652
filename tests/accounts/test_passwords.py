import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import translation


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "Dit wachtwoord is te kort: gebruik ten minste 12 tekens."),
        ("en", "This password is too short: use at least 12 characters."),
    ],
)
def test_a_short_password_is_refused_in_the_pages_language(language, expected):
    with translation.override(language), pytest.raises(ValidationError) as refused:
        password_validation.validate_password("kort")
    assert expected in refused.value.messages


def test_every_password_rule_speaks_dutch_on_a_dutch_page():
    with translation.override("nl"), pytest.raises(ValidationError) as refused:
        password_validation.validate_password("1234")
    assert refused.value.messages == [
        "Dit wachtwoord is te kort: gebruik ten minste 12 tekens.",
        "Dit wachtwoord is te algemeen.",
        "Dit wachtwoord bevat alleen cijfers.",
    ]
