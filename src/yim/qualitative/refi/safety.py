"""Limits and checks for untrusted archives and XML (QDPX, QDC, and DOCX/ODT uploads).

Nothing is ever extracted to disk, and no size written in the archive is trusted. An entry is
read by :func:`read_entry` (or :class:`ArchiveReader`) in bounded chunks straight from its
deflate stream, counting the bytes that really come out: the read stops, and the import is
refused naming the entry, as soon as the entry passes its own limit, the archive passes its
total, or the entry expands more than :attr:`ArchiveLimits.max_compression_ratio` times over
the compressed bytes it really used. At no moment is more than one chunk plus the entry's
output so far in memory, so a file whose headers lie cannot make a worker hold gigabytes
(security finding 2 of issue 10). Only the entries the project refers to are ever read.

XML is parsed twice: first with ``defusedxml`` (which refuses DTDs, entity declarations and
external references), then with an lxml parser that cannot resolve entities or touch the
network, for schema validation and reading.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

import defusedxml
import defusedxml.ElementTree
from lxml import etree

from .errors import (
    ArchiveTooLargeError,
    CompressionRatioError,
    DamagedEntryError,
    EntryTooLargeError,
    MalformedXmlError,
    UnsafeArchiveError,
    UnsafePathError,
    UnsafeXmlError,
)

__all__ = [
    "DEFAULT_LIMITS",
    "REFI_MAX_FILE_BYTES",
    "SOURCE_FILE_NAME",
    "ArchiveLimits",
    "ArchiveReader",
    "ReadBudget",
    "check_archive",
    "check_archive_entries",
    "check_entry_name",
    "parse_untrusted_xml",
    "read_entry",
]

#: REFI-QDA §5: an internal file may not exceed 2^31 − 1 bytes.
REFI_MAX_FILE_BYTES = 2**31 - 1

#: The standard name of a file under ``sources/``: a GUID and a short extension (notes §A6).
#: Other names are accepted on import (real tools write them); this one is what we export.
SOURCE_FILE_NAME = re.compile(r"^\{?[0-9a-fA-F-]{36}\}?\.[A-Za-z0-9]{1,5}$")

MB = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """Safety limits for one archive, all on bytes really decompressed.

    ``max_entry_uncompressed`` is the limit for one source file and ``max_total_uncompressed``
    for everything read from one archive; the web import takes both from the settings
    ``YIM_REFI_MAX_SOURCE_MB`` and ``YIM_REFI_MAX_PROJECT_MB``.
    """

    max_entries: int = 10_000
    max_total_uncompressed: int = 500 * MB
    max_entry_uncompressed: int = 50 * MB
    max_compression_ratio: float = 100.0
    #: the ratio is checked once an entry has really produced this many bytes: tiny XML
    #: compresses far better than 100:1, and below this an entry cannot hurt.
    ratio_exempt_below: int = 1 * MB
    max_xml_bytes: int = 100 * MB
    #: bytes read (compressed) and produced (decompressed) per step.
    chunk_bytes: int = 64 * 1024


DEFAULT_LIMITS = ArchiveLimits()


def _mb(n: int) -> str:
    return f"{n / MB:.0f} MB" if n >= MB else f"{n} bytes"


def check_entry_name(name: str) -> None:
    """Reject entry names that are absolute, climb upwards, or smuggle odd characters."""
    if not name:
        raise UnsafePathError("archive entry with an empty name")
    if "\x00" in name or "\\" in name:
        raise UnsafePathError(f"archive entry {name!r} contains a NUL or backslash")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise UnsafePathError(f"archive entry {name!r} is an absolute path")
    if ".." in PurePosixPath(name).parts:
        raise UnsafePathError(f"archive entry {name!r} climbs out of the archive ('..')")


def check_archive_entries(archive: zipfile.ZipFile, limits: ArchiveLimits = DEFAULT_LIMITS) -> None:
    """Check entry names, the number of entries and encryption; sizes are checked on reading."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise UnsafeArchiveError(
            f"archive has {len(infos)} entries; at most {limits.max_entries} are allowed"
        )
    for info in infos:
        check_entry_name(info.filename)
        if info.flag_bits & 0x1:
            raise UnsafeArchiveError(f"archive entry {info.filename!r} is encrypted")


def check_archive(archive: zipfile.ZipFile, limits: ArchiveLimits = DEFAULT_LIMITS) -> None:
    """:func:`check_archive_entries` plus a first look at the *declared* sizes and ratios.

    Declared sizes can lie, so this is only an early refusal for archives handed to another
    reader (DOCX/ODT go to a resource-limited subprocess); REFI entries are read by
    :func:`read_entry`, which counts real bytes.
    """
    check_archive_entries(archive, limits)
    total = 0
    for info in archive.infolist():
        if info.file_size > limits.max_entry_uncompressed:
            raise UnsafeArchiveError(
                f"archive entry {info.filename!r} unpacks to {info.file_size} bytes; "
                f"the limit is {limits.max_entry_uncompressed}"
            )
        if info.file_size >= limits.ratio_exempt_below:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise UnsafeArchiveError(
                    f"archive entry {info.filename!r} has compression ratio {ratio:.0f}:1 "
                    f"(limit {limits.max_compression_ratio:.0f}:1): possible zip bomb"
                )
        total += info.file_size
        if total > limits.max_total_uncompressed:
            raise UnsafeArchiveError(
                f"archive unpacks to more than {limits.max_total_uncompressed} bytes "
                "in total: possible zip bomb"
            )


class ReadBudget:
    """The real bytes that may still be read from one archive, over all its entries."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, n: int, entry: str) -> None:
        self.used += n
        if self.used > self.limit:
            raise ArchiveTooLargeError(
                f"the archive unpacks to more than {_mb(self.limit)} in total (stopped while "
                f"reading entry {entry!r}); the limit for a whole project is {_mb(self.limit)}",
                entry=entry,
                limit=self.limit,
            )


_LOCAL_HEADER = struct.Struct("<4s5H3I2H")


def _damaged(entry: str, why: str) -> DamagedEntryError:
    return DamagedEntryError(f"archive entry {entry!r} is damaged: {why}", entry=entry)


def iter_entry(
    archive: zipfile.ZipFile,
    name: str,
    limit: int,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    budget: ReadBudget | None = None,
) -> Iterator[bytes]:
    """Yield the decompressed bytes of entry ``name`` in chunks of at most
    ``limits.chunk_bytes``, trusting no size in the archive.

    The deflate stream is read from the entry's local header onwards and decompressed with a
    bounded output per step; the limits apply to the bytes that really come out, and the
    compression ratio to the compressed bytes really consumed. At the end the CRC and the
    declared size are compared with what was read. Stored and deflated entries are read;
    other compression methods are refused.
    """
    check_entry_name(name)
    info = archive.getinfo(name)
    if info.flag_bits & 0x1:
        raise UnsafeArchiveError(f"archive entry {name!r} is encrypted")
    fp = archive.fp
    if fp is None:  # pragma: no cover - the archive is open while we read
        raise UnsafeArchiveError("the archive is closed")
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise _damaged(name, "its local header is missing")
    fields = _LOCAL_HEADER.unpack(header)
    flags, name_length, extra_length = fields[2], fields[9], fields[10]
    local_name = fp.read(name_length).decode("utf-8" if flags & 0x800 else "cp437", "replace")
    if local_name != info.orig_filename:
        raise _damaged(name, f"its local header names {local_name!r}")
    position = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    chunk = limits.chunk_bytes
    produced = 0
    crc = 0

    def account(out: bytes, consumed: int) -> None:
        nonlocal produced, crc
        produced += len(out)
        if produced > limit:
            raise EntryTooLargeError(
                f"archive entry {name!r} unpacks to more than {_mb(limit)} (the limit for one "
                f"file; stopped after reading {_mb(produced)}, whatever its header says)",
                entry=name,
                limit=limit,
                produced=produced,
            )
        if budget is not None:
            budget.take(len(out), name)
        ratio = limits.max_compression_ratio
        if produced >= limits.ratio_exempt_below and produced > ratio * max(consumed, 1):
            raise CompressionRatioError(
                f"archive entry {name!r} expands more than {ratio:.0f} times ({_mb(produced)} "
                f"from {consumed} compressed bytes): possible zip bomb; reading was stopped",
                entry=name,
                limit=ratio,
                produced=produced,
            )
        crc = zlib.crc32(out, crc)

    if info.compress_type == zipfile.ZIP_STORED:
        size = info.compress_size
        if size > limit:  # stored bytes are what they are: refuse before reading
            raise EntryTooLargeError(
                f"archive entry {name!r} holds {_mb(size)}; the limit for one file is {_mb(limit)}",
                entry=name,
                limit=limit,
                produced=0,
            )
        left = size
        while left > 0:
            fp.seek(position)
            out = fp.read(min(chunk, left))
            if not out:
                raise _damaged(name, "its data ends early")
            position += len(out)
            left -= len(out)
            account(out, size - left)
            yield out
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
        fed = 0
        pending = b""
        while not decompressor.eof:
            exhausted = False
            if not pending:
                fp.seek(position)
                pending = fp.read(chunk)
                position += len(pending)
                fed += len(pending)
                exhausted = not pending
            try:
                out = decompressor.decompress(pending, chunk)
            except zlib.error as exc:
                raise _damaged(name, f"its compressed data is invalid ({exc})") from exc
            pending = decompressor.unconsumed_tail
            if not out and exhausted and not decompressor.eof:
                raise _damaged(name, "its compressed data ends early")
            if out:
                unused = len(decompressor.unused_data) if decompressor.eof else 0
                account(out, fed - len(pending) - unused)
                yield out
    else:
        raise UnsafeArchiveError(
            f"archive entry {name!r} uses compression method {info.compress_type}; only stored "
            "and deflated entries can be read"
        )
    if crc != info.CRC:
        raise _damaged(name, "its CRC does not match its content")
    if produced != info.file_size:
        raise _damaged(
            name, f"its header gives a wrong size ({info.file_size} bytes, holds {produced})"
        )


def read_entry(
    archive: zipfile.ZipFile,
    name: str,
    limit: int,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    budget: ReadBudget | None = None,
) -> bytes:
    """Read one entry, refusing to produce more than ``limit`` bytes whatever the header says.

    The entry is streamed in chunks (:func:`iter_entry`); at most ``limit`` bytes are ever
    held, plus one chunk.
    """
    buffer = io.BytesIO()
    for piece in iter_entry(archive, name, limit, limits, budget):
        buffer.write(piece)
    return buffer.getvalue()


class ArchiveReader:
    """One untrusted ZIP archive held in memory: entry names looked up leniently (case,
    ``sources/`` or ``Sources/``), entries read in bounded chunks against one budget."""

    def __init__(self, data: bytes, limits: ArchiveLimits = DEFAULT_LIMITS) -> None:
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise UnsafeArchiveError(
                f"the file is not a readable .qdpx (ZIP) archive: {exc}"
            ) from exc
        check_archive_entries(self.archive, limits)
        self.limits = limits
        self.budget = ReadBudget(limits.max_total_uncompressed)
        self.names = [i.filename for i in self.archive.infolist() if not i.is_dir()]
        self._folded: dict[str, list[str]] = {}
        for entry in self.names:
            self._folded.setdefault(entry.casefold(), []).append(entry)
        #: entries handed out by :meth:`find`: the rest were never referenced.
        self.used: set[str] = set()

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def find(self, name: str) -> str | None:
        """The entry called ``name``, exactly or else ignoring case (``Sources/X.TXT``)."""
        if name in self._folded.get(name.casefold(), ()):
            found = name
        else:
            candidates = self._folded.get(name.casefold(), [])
            if len(candidates) != 1:
                return None
            found = candidates[0]
        self.used.add(found)
        return found

    def read(self, name: str, limit: int | None = None) -> bytes:
        """Read entry ``name`` (a name from :attr:`names`); ``limit`` defaults to the limit
        for one source file."""
        if limit is None:
            limit = self.limits.max_entry_uncompressed
        try:
            return read_entry(self.archive, name, limit, self.limits, self.budget)
        except zipfile.BadZipFile as exc:  # pragma: no cover - we parse headers ourselves
            raise _damaged(name, str(exc)) from exc


_SAFE_LXML_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
)


def parse_untrusted_xml(data: bytes, what: str) -> etree._Element:
    """Parse XML from an untrusted source; refuse DTDs, entities and external references.

    ``what`` names the document in error messages (e.g. ``"project.qde"``).
    """
    try:
        defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise UnsafeXmlError(
            f"{what}: XML with a DTD, entity declarations or external references is refused "
            f"({type(exc).__name__})"
        ) from exc
    except defusedxml.ElementTree.ParseError as exc:
        raise MalformedXmlError(f"{what}: not well-formed XML: {exc}") from exc
    try:
        return etree.fromstring(data, parser=_SAFE_LXML_PARSER)
    except etree.XMLSyntaxError as exc:  # pragma: no cover - defusedxml parses first
        raise MalformedXmlError(f"{what}: not well-formed XML: {exc}") from exc
