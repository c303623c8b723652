"""Transcript import: encodings, sanitising, sandboxed extraction and speaker turns."""

import io
import itertools
import unicodedata
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from tests.qualitative.fixtures import blank_pdf, docx_bytes, minimal_text_pdf, odt_bytes
from yim.qualitative.transcripts import (
    BinaryContentError,
    ExtractionFailedError,
    ExtractionLimits,
    NoExtractableTextError,
    UnsupportedFormatError,
    UploadTooLargeError,
    decode_text_file,
    find_turns,
    guess_role,
    load_transcript,
    sanitise_text,
)

INTERVIEW = (
    "Interview 3, triade B (transcript)\n"
    "Interviewer: Hoe gaat het met je?\n"
    "Jongere: Goed. Ik vond het één keer lastig 😟.\n"
    "Maar de JIM hielp.\n"
    "JIM: Ik ben er gewoon.\n"
    "Moeder: Ja.\n"
    "I: En de ruïne?\n"
    "R: Geen idee.\n"
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("één ruïne 😀".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "één".encode(), "utf-8-sig"),
        ("\ufeffééns".encode("utf-16-le"), "utf-16"),
        ("\ufeffééns".encode("utf-16-be"), "utf-16"),
        ("één ruïne – “citaat”".encode("cp1252"), "cp1252"),
    ],
)
def test_text_files_are_decoded_in_the_detected_encoding(data, encoding):
    text, detected = decode_text_file(data)
    assert detected == encoding
    assert text.lstrip("\ufeff").startswith("één" if "é" in text else "")
    assert "\ufeff" not in text


def test_windows_1252_text_keeps_its_dutch_accents():
    text, _ = decode_text_file("Moeder: één keer, ruïne".encode("cp1252"))
    assert text == "Moeder: één keer, ruïne"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes(range(256)) * 4, "NUL bytes"),
        (b"%PDF-1.7\n...", "actually a PDF document"),
        (b"PK\x03\x04rest", "ZIP archive"),
        (b"\x81\x8d\x8f\x90\x9d" * 10, "not valid text"),
        (b"ab\x01\x02\x03\x04cd" * 20, "control characters"),
    ],
)
def test_binary_content_in_a_txt_upload_is_rejected_with_a_reason(data, message):
    with pytest.raises(BinaryContentError, match=message):
        decode_text_file(data)


def test_sanitising_normalises_newlines_nfc_and_drops_control_characters():
    raw = "a\r\nb\rc\u2028d\x00e\x07f\tg\ufeffh\uffff" + "e\u0301"
    assert sanitise_text(raw) == "a\nb\nc\nde" + "f\tgh" + "é"


@given(st.text())
def test_sanitising_is_idempotent_and_leaves_only_nfc_text_without_controls(raw):
    once = sanitise_text(raw)
    assert sanitise_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t" for ch in once)
    assert "\r" not in once
    etree.Element("text").text = once  # always storable in REFI-QDA XML


def test_turns_carry_speaker_role_and_codepoint_offsets_into_the_text():
    turns = find_turns(INTERVIEW)
    assert [(t.speaker, t.role) for t in turns] == [
        ("Interviewer", "interviewer"),
        ("Jongere", "youth"),
        ("JIM", "jim"),
        ("Moeder", "parent"),
        ("I", "interviewer"),
        ("R", "unknown"),
    ]
    youth = turns[1]
    assert INTERVIEW[youth.start : youth.end] == (
        "Jongere: Goed. Ik vond het één keer lastig 😟.\nMaar de JIM hielp."
    )
    assert INTERVIEW[youth.text_start : youth.end].startswith("Goed.")
    assert all(a.end <= b.start for a, b in itertools.pairwise(turns))
    assert turns[-1].end == len(INTERVIEW.rstrip())


def test_unknown_labels_count_only_when_they_recur_and_are_capitalised():
    text = "Let op: dit is een kop\nSanne: hoi\nTim: hallo\nSanne: dag\nTim: doei\nx: nee\nx: nee"
    speakers = [t.speaker for t in find_turns(text)]
    assert speakers == ["Sanne", "Tim", "Sanne", "Tim"]


def test_labels_with_numbers_timestamps_and_names_in_brackets_are_recognised():
    text = "[00:01:02] Ouder 2: ja\n(12:03) Interviewer (Anna): nee\nProfessional: oké"
    turns = find_turns(text)
    assert [(t.speaker, t.role) for t in turns] == [
        ("Ouder 2", "parent"),
        ("Interviewer (Anna)", "interviewer"),
        ("Professional", "professional"),
    ]
    assert text[turns[0].start : turns[0].text_start] == "Ouder 2: "


def test_times_and_urls_at_line_start_are_not_speaker_labels():
    assert find_turns("10:30 begonnen\nhttps://example.org: link\n") == ()


def test_guess_role_strips_numbers_and_brackets():
    assert guess_role("Vader (stief)") == "parent"
    assert guess_role("Jongere-3") == "youth"
    assert guess_role("Buurman") == "unknown"


def test_a_txt_upload_becomes_a_sanitised_transcript_with_turns():
    data = INTERVIEW.replace("\n", "\r\n").encode("utf-8-sig")
    transcript = load_transcript(data, "interview.TXT")
    assert transcript.text == INTERVIEW
    assert transcript.encoding == "utf-8-sig"
    assert len(transcript.turns) == 6


def test_uploads_over_the_size_limit_are_rejected():
    with pytest.raises(UploadTooLargeError, match=r"limit is 0\.0 MB"):
        load_transcript(b"x" * 100, "a.txt", max_bytes=10)


def test_unsupported_extensions_are_rejected():
    with pytest.raises(UnsupportedFormatError, match=r"only \.txt, \.docx"):
        load_transcript(b"hello", "a.rtf")


def test_docx_text_is_extracted_with_paragraphs_and_tables():
    data = docx_bytes(["Interviewer: één vraag", "Jongere: 😀 antwoord"], [["cel", "twee"]])
    transcript = load_transcript(data, "t.docx")
    assert transcript.text == "Interviewer: één vraag\nJongere: 😀 antwoord\ncel\ttwee"
    assert [t.role for t in transcript.turns] == ["interviewer", "youth"]


def test_odt_text_is_extracted_in_document_order():
    transcript = load_transcript(odt_bytes(["Moeder: ruïne", "JIM: ja"]), "t.odt")
    assert transcript.text == "Interview\nMoeder: ruïne\nJIM: ja"
    assert [t.role for t in transcript.turns] == ["parent", "jim"]


def test_pdf_text_is_extracted():
    transcript = load_transcript(minimal_text_pdf(["Vader: goed", "Jongere: ook"]), "t.pdf")
    assert transcript.text.strip() == "Vader: goed\nJongere: ook"
    assert [t.role for t in transcript.turns] == ["parent", "youth"]


def test_an_image_only_pdf_is_rejected_with_a_hint_about_ocr():
    with pytest.raises(NoExtractableTextError, match=r"image-only.*OCR"):
        load_transcript(blank_pdf(), "scan.pdf")


def test_a_file_whose_content_does_not_match_its_extension_is_rejected():
    with pytest.raises(UnsupportedFormatError, match="not pdf"):
        load_transcript(b"<html>hi</html>", "fake.pdf")


def test_a_corrupt_docx_is_reported_as_unreadable():
    with pytest.raises(ExtractionFailedError, match="damaged"):
        load_transcript(b"PK\x03\x04garbage", "broken.docx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a docx")
    with pytest.raises(ExtractionFailedError, match="cannot be read as docx"):
        load_transcript(buffer.getvalue(), "broken.docx")


def test_a_zip_bomb_disguised_as_docx_is_refused_before_extraction():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\x00" * (20 * 1024 * 1024))
    with pytest.raises(ExtractionFailedError, match="zip bomb"):
        load_transcript(buffer.getvalue(), "bomb.docx")


def test_extraction_that_exceeds_the_timeout_is_stopped():
    limits = ExtractionLimits(timeout_seconds=0.01)
    with pytest.raises(ExtractionFailedError, match=r"longer than 0\.01 s"):
        load_transcript(minimal_text_pdf(["Vader: goed"]), "t.pdf", limits=limits)


def test_extraction_output_above_the_cap_is_refused():
    limits = ExtractionLimits(max_output_chars=5)
    with pytest.raises(ExtractionFailedError, match="longer than 5 characters"):
        load_transcript(minimal_text_pdf(["Vader: goed"]), "t.pdf", limits=limits)


def test_extraction_under_a_tiny_memory_limit_fails_cleanly():
    # 8 MiB of address space is far below what the parser needs; the worker must fail with a
    # message instead of taking the server down.
    limits = ExtractionLimits(memory_bytes=8 * 1024 * 1024)
    with pytest.raises(ExtractionFailedError, match="cannot be read"):
        load_transcript(docx_bytes(["Vader: goed"]), "t.docx", limits=limits)
