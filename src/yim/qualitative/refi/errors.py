"""Exceptions raised by REFI-QDA import, export and the archive safety checks.

All derive from :class:`RefiError` (a ``ValueError``), so a view can catch one class and show
the message, which always names the problem and where it is.
"""

from __future__ import annotations


class RefiError(ValueError):
    """Base class of every REFI-QDA exchange error."""


class UnsafeArchiveError(RefiError):
    """The ZIP archive breaks a safety limit (size, entry count, compression ratio)."""


class UnsafePathError(UnsafeArchiveError):
    """An archive entry or source path climbs out of the archive or is absolute."""


class EntryTooLargeError(UnsafeArchiveError):
    """One entry really unpacks to more than its limit (counted while reading, not declared)."""

    def __init__(self, message: str, *, entry: str, limit: int, produced: int) -> None:
        super().__init__(message)
        self.entry, self.limit, self.produced = entry, limit, produced


class ArchiveTooLargeError(UnsafeArchiveError):
    """The entries read so far really unpack to more than the limit for the whole archive."""

    def __init__(self, message: str, *, entry: str, limit: int) -> None:
        super().__init__(message)
        self.entry, self.limit = entry, limit


class CompressionRatioError(UnsafeArchiveError):
    """An entry expands more than the allowed ratio over the compressed bytes it really used:
    a zip bomb, refused while reading it."""

    def __init__(self, message: str, *, entry: str, limit: float, produced: int) -> None:
        super().__init__(message)
        self.entry, self.limit, self.produced = entry, limit, produced


class DamagedEntryError(UnsafeArchiveError):
    """An entry cannot be read: broken header or stream, wrong CRC or a wrong size header."""

    def __init__(self, message: str, *, entry: str) -> None:
        super().__init__(message)
        self.entry = entry


class UnsafeXmlError(RefiError):
    """The XML uses a DTD, entity declarations or external references."""


class MalformedXmlError(RefiError):
    """The XML is not well formed."""


class SchemaValidationError(RefiError):
    """The XML does not validate against the REFI-QDA schema."""


class MissingSourceError(RefiError):
    """A source referenced from project.qde is not in the archive."""


class SourceEncodingError(RefiError):
    """A plain-text source is not valid UTF-8."""


class SelectionOutOfRangeError(RefiError):
    """A text selection lies outside its source text or ends before it starts."""


class DanglingReferenceError(RefiError):
    """A reference (CodeRef, SourceRef, NoteRef, …) points to no known object."""


class ProjectIntegrityError(RefiError):
    """The project object is inconsistent (duplicate GUIDs, wrong value types, …)."""


class ExportLimitError(RefiError):
    """The project cannot be exported within the REFI-QDA limits (2 GiB per file)."""
