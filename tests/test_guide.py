"""The user guide (docs/guide.md) cannot drift from the interface.

Every address the guide gives in backticks must still be a URL of yim, and every Dutch label
it quotes in italics must still be something the Dutch interface shows (a translation in
django.po or a text of a shipped questionnaire). A moved URL or a renamed label fails here,
so the guide is corrected in the same change.
"""

import re
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "guide.md"
PO_FILE = ROOT / "src" / "yim" / "locale" / "nl" / "LC_MESSAGES" / "django.po"
INSTRUMENTS = ROOT / "src" / "yim" / "monitoring" / "instruments"


def _prose(markdown: str) -> str:
    """The guide without fenced code blocks (they may hold shell commands, not addresses)."""
    return re.sub(r"(?ms)^```.*?^```", "", markdown)


def guide_paths(markdown: str) -> list[str]:
    """Backticked spans that start with '/', placeholders such as <id> replaced by 1."""
    spans = re.findall(r"`(/[^`\s]*)`", _prose(markdown))
    paths = []
    for span in spans:
        path = re.sub(r"<[^<>/]+>", "1", span)
        paths.append(path.split("?", 1)[0].split("#", 1)[0])
    return sorted(set(paths))


def guide_labels(markdown: str) -> list[str]:
    """Spans in *italics* (single asterisks), joined across line breaks."""
    text = re.sub(r"\s*\n\s*", " ", _prose(markdown))
    text = re.sub(r"`[^`]*`", "", text)
    return sorted(set(re.findall(r"(?<![\w*])\*(?!\s)([^*]+?)(?<!\s)\*(?![\w*])", text)))


def _po_translations(po_text: str) -> list[str]:
    """Every msgstr (and plural msgstr[n]) of a .po file, multi-line strings joined."""
    found: list[str] = []
    current: list[str] | None = None
    for line in po_text.splitlines():
        start = re.match(r"msgstr(?:\[\d+\])? (\".*\")$", line)
        if start:
            current = [start.group(1)]
            found.append("")
        elif current is not None and line.startswith('"'):
            current.append(line)
        else:
            current = None
            continue
        found[-1] = "".join(_unquote(part) for part in current)
    return [t for t in found if t]


def _unquote(quoted: str) -> str:
    return quoted[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def _normalise(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).casefold()


def interface_texts() -> list[str]:
    """What the Dutch screen can show: translations, with placeholders cut out, and the
    shipped questionnaires' texts. Each entry is split where a value is filled in."""
    pieces: list[str] = []
    placeholder = r"%\(\w+\)[sdf]|%[sd]|\{\{[^}]*\}\}"
    for text in _po_translations(PO_FILE.read_text(encoding="utf-8")):
        pieces.extend(re.split(placeholder, text))
    for path in INSTRUMENTS.glob("*.yaml"):
        pieces.extend(re.findall(r'nl: "([^"]+)"', path.read_text(encoding="utf-8")))
    return [_normalise(p) for p in pieces if p.strip()]


def label_is_shown(label: str, texts: list[str]) -> bool:
    """A quoted label matches when each part between ellipses (…, where the screen shows a
    value) occurs in one piece of interface text, ignoring letter case."""
    fragments = [_normalise(f) for f in label.split("…") if f.strip(" .:,;()")]
    return bool(fragments) and all(any(f in text for text in texts) for f in fragments)


GUIDE_TEXT = GUIDE.read_text(encoding="utf-8")
PATHS = guide_paths(GUIDE_TEXT)
LABELS = guide_labels(GUIDE_TEXT)


def test_the_guide_gives_addresses_and_labels_to_check():
    # Guards the scans themselves: a broken pattern would otherwise pass every check below.
    assert "/trajectories/overview/" in PATHS
    assert "/trajectories/1/placements/add/" in PATHS
    assert "Teamoverzicht" in LABELS
    assert len(PATHS) >= 30
    assert len(LABELS) >= 150


@pytest.mark.parametrize("path", PATHS)
def test_every_address_in_the_guide_is_a_url_of_yim(path):
    try:
        resolve(path)
    except Resolver404:
        pytest.fail(f"docs/guide.md names {path}, which no longer resolves")


def test_a_moved_address_would_fail_the_check():
    with pytest.raises(Resolver404):
        resolve(guide_paths("see `/trajectories/<id>/no-such-page/`")[0])


def test_every_dutch_label_in_the_guide_is_shown_by_the_interface():
    texts = interface_texts()
    missing = [label for label in LABELS if not label_is_shown(label, texts)]
    assert missing == [], f"docs/guide.md quotes labels the Dutch screen lacks: {missing}"


def test_a_renamed_label_would_fail_the_check():
    texts = interface_texts()
    assert label_is_shown("Teamoverzicht", texts)
    assert label_is_shown("Feedback over het gesprek van …", texts)
    assert not label_is_shown("Teamoverzichtspagina met grafieken", texts)


def test_the_readme_links_the_guide():
    assert "docs/guide.md" in (ROOT / "README.md").read_text(encoding="utf-8")
