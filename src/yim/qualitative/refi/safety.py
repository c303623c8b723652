"""Limits and checks for untrusted archives and XML (QDPX, QDC, and DOCX/ODT uploads).

Nothing is ever extracted to disk: entries are read into memory through
:func:`read_entry`, which stops at the declared limit even when the ZIP directory lies about
the size. XML is parsed twice: first with ``defusedxml`` (which refuses DTDs, entity
declarations and external references), then with an lxml parser that cannot resolve entities
or touch the network, for schema validation and reading.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import defusedxml
import defusedxml.ElementTree
from lxml import etree

from .errors import MalformedXmlError, UnsafeArchiveError, UnsafePathError, UnsafeXmlError

__all__ = [
    "DEFAULT_LIMITS",
    "REFI_MAX_FILE_BYTES",
    "SOURCE_FILE_NAME",
    "ArchiveLimits",
    "check_archive",
    "check_entry_name",
    "parse_untrusted_xml",
    "read_entry",
]

#: REFI-QDA §5: an internal file may not exceed 2^31 − 1 bytes.
REFI_MAX_FILE_BYTES = 2**31 - 1

#: Names allowed under ``sources/``: a GUID and a short lowercase extension (notes §A6).
SOURCE_FILE_NAME = re.compile(r"^\{?[0-9a-fA-F-]{36}\}?\.[a-z0-9]{1,5}$")


@dataclass(frozen=True)
class ArchiveLimits:
    """Safety limits for one archive. Defaults follow the notes (§A6), tightened for memory:
    the whole archive is read into memory, so the total is 512 MiB rather than REFI's 2 GiB."""

    max_entries: int = 10_000
    max_total_uncompressed: int = 512 * 1024 * 1024
    max_entry_uncompressed: int = REFI_MAX_FILE_BYTES
    max_compression_ratio: float = 100.0
    #: entries smaller than this are exempt from the ratio check (tiny XML compresses well).
    ratio_exempt_below: int = 1024 * 1024
    max_xml_bytes: int = 200 * 1024 * 1024


DEFAULT_LIMITS = ArchiveLimits()


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


def check_archive(archive: zipfile.ZipFile, limits: ArchiveLimits = DEFAULT_LIMITS) -> None:
    """Check names, entry count, declared sizes and compression ratios before reading."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise UnsafeArchiveError(
            f"archive has {len(infos)} entries; at most {limits.max_entries} are allowed"
        )
    total = 0
    for info in infos:
        check_entry_name(info.filename)
        if info.flag_bits & 0x1:
            raise UnsafeArchiveError(f"archive entry {info.filename!r} is encrypted")
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


def read_entry(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """Read one entry, refusing to produce more than ``limit`` bytes whatever the header says."""
    check_entry_name(name)
    with archive.open(name) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise UnsafeArchiveError(
            f"archive entry {name!r} unpacks to more than {limit} bytes (size header is wrong "
            "or the limit is exceeded)"
        )
    return data


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
