import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "src" / "yim" / "locale"


def test_every_dutch_message_is_translated():
    sys.path.insert(0, str(ROOT / "scripts"))
    from check_translations import untranslated

    assert untranslated() == []


def test_compiled_catalogues_match_their_sources():
    for language in ("nl", "en"):
        po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
        mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
        compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo}
        for entry in po.translated_entries():
            if not entry.msgid_plural:
                assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, (
                    f"{language}: {entry.msgid!r} is stale in django.mo; run 'make messages'"
                )


def test_no_user_facing_template_text_escapes_translation():
    """Every template line with visible words uses the translation tags."""
    import re

    offenders = []
    for template in (ROOT / "src" / "yim" / "templates").rglob("*.html"):
        text = template.read_text()
        text = re.sub(r"{% blocktranslate.*?{% endblocktranslate %}", " ", text, flags=re.S)
        text = re.sub(r"<code>.*?</code>", " ", text)  # literal user names, keys
        text = re.sub(r"{#.*?#}", " ", text)  # template comments are never rendered
        stripped = re.sub(r"{%.*?%}|{{.*?}}|<[^>]+>|&[a-z]+;", " ", text, flags=re.S)
        for word in re.findall(r"[A-Za-z][a-z]{3,}", stripped):
            offenders.append(f"{template.name}: {word}")
    assert offenders == []


def test_the_catalogue_is_current_with_the_code(tmp_path):
    """makemessages on the code finds no message the catalogue lacks (needs GNU gettext)."""
    import shutil

    if shutil.which("xgettext") is None:
        # gettext is a build tool; CI installs it (see .ci/run). Without it the check cannot run.
        import os

        assert os.environ.get("CI") != "true", "CI must install gettext"
        return
    import sys as _sys

    work = tmp_path / "yim"
    shutil.copytree(ROOT / "src" / "yim", work, ignore=shutil.ignore_patterns("__pycache__"))
    env = {
        "YIM_DEBUG": "1",
        "YIM_DATA_DIR": str(tmp_path / "data"),
        "PATH": __import__("os").environ["PATH"],
    }
    subprocess.run(
        [
            _sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "nl",
            "--no-obsolete",
            "--settings=yim.settings",
            "--ignore",
            "stats/*",
        ],
        cwd=work,
        env={**env, "PYTHONPATH": str(ROOT / "src")},
        check=True,
        capture_output=True,
    )
    fresh = polib.pofile(str(work / "locale" / "nl" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in fresh.untranslated_entries()]
    assert missing == [], f"new strings need a Dutch translation (make messages): {missing}"


def test_the_dutch_interface_says_je_never_the_formal_u():
    """One voice for youth, parents and staff alike: informal 'je', as the approach speaks."""
    import re

    po = polib.pofile(str(LOCALE / "nl" / "LC_MESSAGES" / "django.po"))
    formal = [
        e.msgid
        for e in po.translated_entries()
        for text in [e.msgstr, *e.msgstr_plural.values()]
        if re.search(r"\b(u|uw|U|Uw)\b", text)
    ]
    assert formal == []
