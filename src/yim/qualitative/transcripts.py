"""Import interview transcripts (.txt, .docx, .odt, .pdf) and find the speaker turns.

The result is sanitised plain text — NFC, LF newlines, no control characters except ``\\n``
and ``\\t`` — because every code-point offset stored later refers to exactly this text.

Text extraction from DOCX, ODT and PDF runs in a separate Python process
(:mod:`yim.qualitative._extract_worker`) with a wall-clock timeout, CPU-time, memory and
output-size limits, so a hostile or broken document cannot hang or exhaust the web server
(Taguette's pattern). ZIP-based formats are checked for zip bombs before the worker starts.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import _extract_worker as worker
from .refi.errors import UnsafeArchiveError
from .refi.safety import ArchiveLimits, check_archive

__all__ = [
    "DEFAULT_MAX_UPLOAD_BYTES",
    "ROLE_LABELS",
    "BinaryContentError",
    "EncryptedDocumentError",
    "ExtractionFailedError",
    "ExtractionLimits",
    "NoExtractableTextError",
    "Transcript",
    "TranscriptError",
    "Turn",
    "UnsupportedFormatError",
    "UploadTooLargeError",
    "decode_text_file",
    "extract_document_text",
    "find_turns",
    "guess_role",
    "load_transcript",
    "sanitise_text",
]

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class TranscriptError(ValueError):
    """Base class: the upload cannot become a transcript. The message says why."""


class UploadTooLargeError(TranscriptError):
    pass


class UnsupportedFormatError(TranscriptError):
    pass


class BinaryContentError(TranscriptError):
    """A .txt upload whose bytes are not text in any supported encoding."""


class NoExtractableTextError(TranscriptError):
    """A document without a text layer (e.g. a scanned, image-only PDF)."""


class EncryptedDocumentError(TranscriptError):
    pass


class ExtractionFailedError(TranscriptError):
    """The document is corrupt, or extraction broke a time, memory or output limit."""


#: DOCX/ODT packages: the REFI archive limits, with a smaller total (a transcript is small).
_DOCUMENT_ARCHIVE_LIMITS = ArchiveLimits(max_total_uncompressed=200 * 1024 * 1024)


@dataclass(frozen=True)
class ExtractionLimits:
    timeout_seconds: float = 60.0
    cpu_seconds: int = 30
    memory_bytes: int = 1024 * 1024 * 1024
    max_output_chars: int = 10_000_000
    archive: ArchiveLimits = _DOCUMENT_ARCHIVE_LIMITS


# ---------------------------------------------------------------------------------------------
# Plain text


_MAGIC = {
    b"%PDF-": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (DOCX/ODT?)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old Office (.doc) document",
    b"{\\rtf": "an RTF document",
}


def decode_text_file(data: bytes) -> tuple[str, str]:
    """Decode a .txt upload; return ``(text, encoding)``.

    Order: UTF-8 with BOM, UTF-16 with BOM, UTF-8, then Windows-1252 (the usual encoding of
    older Dutch Word/Notepad exports). Binary content is refused with :class:`BinaryContentError`.
    """
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise BinaryContentError(f"this .txt file is actually {kind}; upload it as such")
    candidates: list[str]
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif b"\x00" in data:
        raise BinaryContentError(
            "the file contains NUL bytes: it is binary, or UTF-16 without a byte-order mark; "
            "save it as UTF-8 text"
        )
    else:
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(
            1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f"
        )
        if text and controls / len(text) > 0.01:
            raise BinaryContentError(
                f"the file decodes as {encoding} but {controls} of its {len(text)} characters are "
                "control characters: it is not a text file"
            )
        return text, encoding
    raise BinaryContentError(
        f"the file is not valid text in {' or '.join(candidates)}; save it as UTF-8 text"
    )


#: U+FEFF inside text is a stray byte-order mark; U+FFFE/U+FFFF cannot appear in XML, so a
#: text holding them could never be exported to REFI-QDA.
_NOT_IN_XML = frozenset("\ufeff\ufffe\uffff")

_NEWLINES = re.compile("\r\n|[\r\u0085\u2028\u2029\v\f]")


def sanitise_text(text: str) -> str:
    """Normalise newlines to LF, apply NFC, and drop control characters except ``\\n``/``\\t``.

    Also drops NUL, byte-order marks (U+FEFF) inside the text, the non-characters U+FFFE and
    U+FFFF (not allowed in XML) and lone surrogates. Idempotent.
    """
    text = _NEWLINES.sub("\n", text)
    text = unicodedata.normalize("NFC", text)
    return "".join(
        ch
        for ch in text
        if ch in "\n\t" or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in _NOT_IN_XML)
    )


# ---------------------------------------------------------------------------------------------
# DOCX / ODT / PDF in a subprocess

_FORMAT_MAGIC = {"pdf": b"%PDF-", "docx": b"PK\x03\x04", "odt": b"PK\x03\x04"}


def extract_document_text(data: bytes, kind: str, limits: ExtractionLimits | None = None) -> str:
    """Extract raw text from a DOCX, ODT or PDF file in a resource-limited subprocess."""
    limits = limits or ExtractionLimits()
    if kind not in _FORMAT_MAGIC:
        raise UnsupportedFormatError(f"unsupported document kind {kind!r}")
    head = data[:1024]
    if not (head.startswith(_FORMAT_MAGIC[kind]) or (kind == "pdf" and b"%PDF-" in head)):
        raise UnsupportedFormatError(f"the file is named .{kind} but its content is not {kind}")
    if kind in ("docx", "odt"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                check_archive(archive, limits.archive)
        except zipfile.BadZipFile as exc:
            raise ExtractionFailedError(f"the .{kind} file is damaged: {exc}") from exc
        except UnsafeArchiveError as exc:
            raise ExtractionFailedError(f"the .{kind} file is refused: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="yim-extract-") as tmp:
        source = Path(tmp, f"input.{kind}")
        source.write_bytes(data)
        output = Path(tmp, "output.txt")
        with output.open("wb") as out:
            try:
                completed = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "yim.qualitative._extract_worker",
                        kind,
                        str(source),
                        str(limits.memory_bytes),
                        str(limits.cpu_seconds),
                        str(limits.max_output_chars),
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.PIPE,
                    timeout=limits.timeout_seconds,
                    cwd=tmp,
                    env=_worker_environment(),
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise ExtractionFailedError(
                    f"reading the .{kind} file took longer than {limits.timeout_seconds:g} s"
                ) from exc
        reason = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        message = reason[-1] if reason else ""
        code = completed.returncode
        if code == worker.EXIT_OK:
            return output.read_bytes().decode("utf-8", errors="replace")
        if code == worker.EXIT_NO_TEXT:
            raise NoExtractableTextError(
                f"the .{kind} file has no extractable text (a scanned or image-only document?); "
                "run OCR first or upload a text version"
            )
        if code == worker.EXIT_ENCRYPTED:
            raise EncryptedDocumentError(f"the .{kind} file is password-protected")
        if code < 0:
            raise ExtractionFailedError(
                f"reading the .{kind} file was stopped ({_signal_reason(-code)})"
            )
        raise ExtractionFailedError(f"the .{kind} file cannot be read: {message or code}")


def _signal_reason(number: int) -> str:
    reasons: dict[int, str] = {
        int(signal.SIGXCPU): "CPU time limit exceeded",
        int(signal.SIGXFSZ): "output size limit exceeded",
        int(signal.SIGKILL): "killed",
    }
    return reasons.get(number, f"signal {number}")


def _worker_environment() -> dict[str, str]:
    """A small environment: enough to find the interpreter's packages and ``yim``."""
    keep = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "HOME", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    package_root = str(Path(__file__).resolve().parents[2])  # .../src
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    return env


# ---------------------------------------------------------------------------------------------
# Speaker turns

#: Known labels (lower case, without trailing numbers or parentheses) and their role.
ROLE_LABELS: Mapping[str, str] = {
    **dict.fromkeys(
        ["interviewer", "interviewster", "i", "int", "onderzoeker", "o"],
        "interviewer",
    ),
    **dict.fromkeys(["jongere", "jeugdige", "youth", "young person", "y"], "youth"),
    **dict.fromkeys(["jim", "jim-mentor", "jim mentor", "mentor", "jim'er"], "jim"),
    **dict.fromkeys(
        [
            "ouder",
            "moeder",
            "vader",
            "parent",
            "mother",
            "father",
            "verzorger",
            "pleegmoeder",
            "pleegvader",
            "pleegouder",
            "stiefmoeder",
            "stiefvader",
        ],
        "parent",
    ),
    **dict.fromkeys(
        [
            "professional",
            "hulpverlener",
            "jeugdhulpverlener",
            "begeleider",
            "gedragswetenschapper",
            "jeugdzorgwerker",
            "regiebehandelaar",
            "casemanager",
        ],
        "professional",
    ),
    **dict.fromkeys(["r", "respondent", "resp"], "unknown"),
}

_TIMESTAMP = r"(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?[ \t]+)?"
_LABEL_LINE = re.compile(
    r"^[ \t]*" + _TIMESTAMP + r"(?P<label>[^\W\d_][\w.'’()\- ]{0,29}?)[ \t]*:(?:[ \t]+|$)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Turn:
    """One speaker turn: ``[start, end)`` in code points covers label and speech;
    ``text_start`` is where the speech begins (after ``"Label: "``)."""

    speaker: str
    role: str
    start: int
    end: int
    text_start: int


def _base_label(label: str) -> str:
    base = re.sub(r"\s*\(.*?\)\s*$", "", label.strip())
    base = re.sub(r"[\s\-]*\d+$", "", base)
    return base.strip().lower()


def guess_role(label: str, role_labels: Mapping[str, str] = ROLE_LABELS) -> str:
    """``interviewer``, ``youth``, ``jim``, ``parent``, ``professional`` or ``unknown``."""
    return role_labels.get(_base_label(label), "unknown")


def find_turns(text: str, role_labels: Mapping[str, str] = ROLE_LABELS) -> tuple[Turn, ...]:
    """Find speaker turns in sanitised text.

    A turn starts at a line beginning with a short label and a colon (optionally after a
    timestamp such as ``[00:01:23]``) and runs to the next turn. Known labels (see
    :data:`ROLE_LABELS`) always count. Other labels must start with a capital letter, have at
    most three words, and occur at least twice in the text — so a stray "Let op: …" line does
    not split a turn. Text before the first turn belongs to no turn.
    """
    matches = []
    for m in _LABEL_LINE.finditer(text):
        label = m.group("label").strip()
        if len(label.split()) <= 3:
            matches.append((m, label))
    counts = Counter(label for _m, label in matches)
    accepted = [
        (m, label)
        for m, label in matches
        if _base_label(label) in role_labels or (label[0].isupper() and counts[label] >= 2)
    ]
    turns = []
    for i, (m, label) in enumerate(accepted):
        start = m.start("label")
        limit = accepted[i + 1][0].start() if i + 1 < len(accepted) else len(text)
        end = start + len(text[start:limit].rstrip())
        text_start = min(m.end(), end)
        turns.append(Turn(label, guess_role(label, role_labels), start, end, text_start))
    return tuple(turns)


# ---------------------------------------------------------------------------------------------
# Entry point


@dataclass(frozen=True)
class Transcript:
    """A sanitised transcript and its turns; ``encoding`` is set for .txt uploads."""

    text: str
    source_format: str
    turns: tuple[Turn, ...]
    encoding: str | None = None


def load_transcript(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    limits: ExtractionLimits | None = None,
    role_labels: Mapping[str, str] = ROLE_LABELS,
) -> Transcript:
    """Turn an uploaded file into a :class:`Transcript`, or raise a :class:`TranscriptError`."""
    if len(data) > max_bytes:
        raise UploadTooLargeError(
            f"{filename!r} is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB"
        )
    suffix = Path(filename).suffix.lower().lstrip(".")
    encoding = None
    if suffix == "txt":
        raw, encoding = decode_text_file(data)
    elif suffix in ("docx", "odt", "pdf"):
        raw = extract_document_text(data, suffix, limits)
    else:
        raise UnsupportedFormatError(
            f"{filename!r}: only .txt, .docx, .odt and .pdf transcripts are supported"
        )
    text = sanitise_text(raw)
    if not text.strip():
        raise NoExtractableTextError(f"{filename!r} contains no text")
    return Transcript(text, suffix, find_turns(text, role_labels), encoding)
