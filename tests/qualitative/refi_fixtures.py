"""A small but complete JIM project: every REFI object the model supports is used once."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import UTC, date, datetime
from decimal import Decimal

from yim.qualitative.refi.model import (
    Case,
    Code,
    Coding,
    Note,
    PlainTextSelection,
    Project,
    Set,
    TextSource,
    User,
    Variable,
    VariableType,
    VariableValue,
)

G = "00000000-0000-4000-8000-{:012d}".format  # readable, valid, unique GUIDs

ANNA, BRAM = G(1), G(2)
THEME, EMOTIONAL, PRACTICAL, TRUST = G(10), G(11), G(12), G(13)
ROLE, TRIAD, AGE, CONSENT, INTERVIEWED, STARTED = (G(n) for n in range(20, 26))
YOUTH_TEXT = 'Moeder: "Ik vond het één keer lastig 😟, maar de JIM hielp."\nJongere: Ja, écht.\n'
PARENT_TEXT = "Interviewer: En de ruïne?\r\nVader: 👍🏽 prima\r\n"
YOUTH_SRC, PARENT_SRC = G(30), G(31)
SEL_JIM, SEL_ECHT, SEL_PARENT = G(40), G(41), G(42)
MEMO, CODE_MEMO = G(50), G(51)
CASE_YOUTH = G(60)
TRIAD_SET, CODE_SET = G(70), G(71)
WHEN = datetime(2025, 3, 4, 10, 30, 15, tzinfo=UTC)


def jim_project() -> Project:
    jim_start = YOUTH_TEXT.index("de JIM hielp")
    echt = YOUTH_TEXT.index("écht")
    return Project(
        name="JIM triade-interviews",
        origin="yim test",
        users=(User(ANNA, "Anna", "anna@uni"), User(BRAM, "Bram")),
        codes=(
            Code(
                THEME,
                "Steun",
                is_codable=False,
                color="#AABBCC",
                description="Thema: steun van de JIM",
                children=(
                    Code(EMOTIONAL, "Emotionele steun", color="#F00"),
                    Code(PRACTICAL, "Praktische steun", description="Hulp bij dingen <doen> & zo"),
                ),
            ),
            Code(TRUST, "Vertrouwen", note_refs=(CODE_MEMO,)),
        ),
        variables=(
            Variable(ROLE, "role", VariableType.TEXT, "youth/JIM/parent"),
            Variable(TRIAD, "triad_id", VariableType.INTEGER),
            Variable(AGE, "age", VariableType.FLOAT),
            Variable(CONSENT, "consent", VariableType.BOOLEAN),
            Variable(INTERVIEWED, "interviewed_on", VariableType.DATE),
            Variable(STARTED, "started_at", VariableType.DATETIME),
        ),
        cases=(
            Case(
                CASE_YOUTH,
                "Jongere B1",
                description="deelnemer",
                code_refs=(TRUST,),
                variable_values=(
                    VariableValue(ROLE, "youth"),
                    VariableValue(TRIAD, 2),
                    VariableValue(AGE, Decimal("16.5")),
                    VariableValue(CONSENT, True),
                    VariableValue(INTERVIEWED, date(2025, 3, 4)),
                    VariableValue(STARTED, WHEN),
                ),
                source_refs=(YOUTH_SRC,),
                selection_refs=(SEL_JIM,),
            ),
        ),
        sources=(
            TextSource(
                YOUTH_SRC,
                "Interview jongere B1",
                YOUTH_TEXT,
                description="eerste interview",
                selections=(
                    PlainTextSelection(
                        SEL_JIM,
                        jim_start,
                        jim_start + len("de JIM hielp"),
                        name="JIM hielp",
                        codings=(
                            Coding(G(80), EMOTIONAL, ANNA, WHEN),
                            Coding(G(81), PRACTICAL, BRAM, note_refs=(MEMO,)),
                        ),
                        note_refs=(MEMO,),
                        creating_user=ANNA,
                        creation_datetime=WHEN,
                    ),
                    PlainTextSelection(
                        SEL_ECHT, echt, echt + 4, codings=(Coding(G(82), TRUST, BRAM),)
                    ),
                ),
                codings=(Coding(G(83), TRUST, ANNA),),
                note_refs=(MEMO,),
                variable_values=(VariableValue(ROLE, "youth"),),
                creating_user=ANNA,
                creation_datetime=WHEN,
            ),
            TextSource(
                PARENT_SRC,
                "Interview vader B1",
                PARENT_TEXT,
                selections=(
                    PlainTextSelection(
                        SEL_PARENT,
                        PARENT_TEXT.index("👍🏽"),
                        len(PARENT_TEXT) - 2,
                        codings=(Coding(G(84), EMOTIONAL, BRAM),),
                    ),
                ),
            ),
        ),
        notes=(
            Note(MEMO, "Memo steun", "De JIM lijkt vooral 😟-momenten op te vangen.\n", None, ANNA),
            Note(CODE_MEMO, "Codememo", "Vertrouwen: alleen expliciet benoemd."),
        ),
        sets=(
            Set(TRIAD_SET, "Triade B", "drie perspectieven", (), (YOUTH_SRC, PARENT_SRC), (MEMO,)),
            Set(CODE_SET, "Steuncodes", member_codes=(EMOTIONAL, PRACTICAL)),
        ),
        description="Testproject",
        note_refs=(MEMO,),
        creating_user=ANNA,
        creation_datetime=WHEN,
        modifying_user=BRAM,
        modified_datetime=WHEN,
    )


def rezip(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# ---------------------------------------------------------------------------------------------
# Archives whose headers lie: written byte by byte, because zipfile only writes honest ones.


def deflate_stream(size: int, byte: bytes = b"\0", piece: int = 1024 * 1024) -> bytes:
    """A raw deflate stream that expands to ``size`` copies of ``byte``, built in pieces so the
    test itself never holds the expanded data."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunk = byte * piece
    parts = [compressor.compress(chunk) for _ in range(size // piece)]
    parts.append(compressor.compress(byte * (size % piece)))
    parts.append(compressor.flush())
    return b"".join(parts)


def raw_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A ZIP archive of ``(name, stored bytes, method, declared size, declared CRC)`` entries:
    local headers and central directory say exactly what they are told, true or not."""
    body = bytearray()
    central = bytearray()
    for name, payload, method, declared_size, declared_crc in entries:
        encoded = name.encode("utf-8")
        offset = len(body)
        fields = (20, 0x800, method, 0, 0x21, declared_crc, len(payload), declared_size)
        body += struct.pack("<4s5H3I2H", b"PK\x03\x04", *fields, len(encoded), 0)
        body += encoded + payload
        central += struct.pack(
            "<4s6H3I5H2I",
            b"PK\x01\x02",
            20,
            *fields,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += encoded
    end = struct.pack(
        "<4s4H2IH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(body), 0
    )
    return bytes(body + central + end)


def honest_entries(files: dict[str, bytes]) -> list[tuple[str, bytes, int, int, int]]:
    """``raw_zip`` entries for files whose headers tell the truth (deflated)."""
    out = []
    for name, data in files.items():
        compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        stream = compressor.compress(data) + compressor.flush()
        out.append((name, stream, zipfile.ZIP_DEFLATED, len(data), zlib.crc32(data)))
    return out
