"""Where the texts of REFI-QDA sources come from: the files of the archive, found leniently.

Real tools name things their own way, so a ``plainTextPath`` is looked up in several places of
the archive (``sources/`` or ``Sources/``, upper or lower case, with or without the folder in
the path, percent-encoded or not, even a ``relative://`` file that was put in the archive after
all). Paths that climb out of the archive are refused; anything else that is not found, cannot
be read or is not text is reported and left out. Nothing here is ever extracted to disk except
a PDF handed to the resource-limited extraction subprocess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePosixPath
from urllib.parse import unquote

from lxml import etree

from .errors import DamagedEntryError, MissingSourceError, UnsafePathError
from .report import ADJUSTED, IGNORED, IssueLog, gettext_noop, names, where
from .safety import ArchiveReader

__all__ = ["ArchiveFiles", "NoArchive", "PdfExtractor", "SourceFiles", "decode", "find_qde"]

PdfExtractor = Callable[[bytes], str]


def extract_pdf(data: bytes) -> str:
    """The PDF's text, extracted in the resource-limited subprocess transcripts use."""
    from ..transcripts import extract_document_text, sanitise_text

    return sanitise_text(extract_document_text(data, "pdf"))


class SourceFiles:
    """Reads the files that ``plainTextPath``, ``path`` and ``richTextPath`` point to."""

    def read(self, path: str, node: etree._Element, log: IssueLog) -> bytes | None:
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        return False


class NoArchive(SourceFiles):
    """A bare ``.qde``: only texts held in the XML itself can be read."""

    def read(self, path: str, node: etree._Element, log: IssueLog) -> bytes | None:
        if path.lower().startswith("internal://"):
            log.drop(
                node,
                gettext_noop(
                    "its text is the file %(path)s, but a bare .qde has no sources folder",
                    path=path,
                ),
                gettext_noop("it was not imported; import the .qdpx archive instead"),
            )
        else:
            log.drop(node, gettext_noop("its file is outside the archive (%(path)s)", path=path))
        return None


class ArchiveFiles(SourceFiles):
    def __init__(self, reader: ArchiveReader, base: str) -> None:
        self.reader = reader
        self.base = base  # folder of the .qde inside the archive ("" at the root)

    def _candidates(self, rest: str) -> list[str]:
        rest = rest.replace("\\", "/").lstrip("/")
        parts = PurePosixPath(rest).parts
        if not rest or "\x00" in rest or ".." in parts or re.match(r"^[A-Za-z]:", rest):
            raise UnsafePathError(
                f"the source path {rest!r} climbs out of the archive or is absolute"
            )
        base_name = parts[-1]
        return [
            f"{self.base}sources/{rest}",
            f"{self.base}{rest}",
            f"{self.base}{base_name}",
            f"{self.base}sources/{base_name}",
        ]

    def resolve(self, path: str) -> tuple[str | None, bool]:
        """(entry, external): the archive entry for ``path``, and whether the path names a
        file outside the archive."""
        scheme, sep, rest = path.partition("://")
        scheme = scheme.lower() if sep else ""
        if not sep:
            rest = path
        external = scheme in ("relative", "absolute")
        if scheme not in ("", "internal", "relative", "absolute"):
            return None, True
        if external:
            # Some tools put "relative" files in the archive after all: look for the file name.
            rest = PurePosixPath(rest.replace("\\", "/")).name
            if not rest:
                return None, True
        for variant in dict.fromkeys([rest, unquote(rest)]):
            for candidate in self._candidates(variant):
                found = self.reader.find(candidate)
                if found is not None:
                    return found, external
        return None, external

    def exists(self, path: str) -> bool:
        try:
            return self.resolve(path)[0] is not None
        except UnsafePathError:
            return False

    def read(self, path: str, node: etree._Element, log: IssueLog) -> bytes | None:
        entry, external = self.resolve(path)
        if entry is None:
            if external:
                problem = gettext_noop("its file is outside the archive (%(path)s)", path=path)
            else:
                problem = gettext_noop("its file %(path)s is not in the archive", path=path)
            log.drop(node, problem)
            return None
        expected = f"{self.base}sources/{path.partition('://')[2]}"
        if external or "://" not in path or entry.casefold() != expected.casefold():
            log.add(
                where(node),
                gettext_noop("the non-standard path %(path)s", path=repr(path)),
                gettext_noop("was read from the archive entry %(entry)s", entry=repr(entry)),
                ADJUSTED,
            )
        try:
            return self.reader.read(entry)
        except DamagedEntryError as exc:
            log.drop(node, str(exc))
            return None


def decode(data: bytes, node: etree._Element, path: str, log: IssueLog) -> str | None:
    """A source file's text: UTF-8 as REFI-QDA requires, or UTF-16 with a byte-order mark."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            pass
        else:
            log.add(
                where(node),
                gettext_noop(
                    "%(path)s is UTF-16 instead of the UTF-8 that REFI-QDA requires", path=path
                ),
                gettext_noop("it was read as UTF-16"),
                ADJUSTED,
            )
            return text
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        log.drop(
            node,
            gettext_noop(
                "%(path)s is not valid UTF-8 (byte %(byte)s); REFI-QDA requires UTF-8 plain text",
                path=path,
                byte=exc.start,
            ),
        )
        return None
    if text.startswith("\ufeff"):
        log.add(
            where(node),
            gettext_noop("%(path)s starts with a byte-order mark", path=path),
            gettext_noop("it was removed"),
            ADJUSTED,
        )
        text = text[1:]
    return text


def find_qde(reader: ArchiveReader, log: IssueLog) -> str:
    """The project file: ``project.qde``, or the one ``.qde`` at the root or in one folder."""
    found = [n for n in reader.names if n.casefold().endswith(".qde")]
    at_root = [n for n in found if "/" not in n]
    standard = [n for n in at_root if n.casefold() == "project.qde"]
    if len(standard) == 1 and len(at_root) > 1:
        others = [n for n in at_root if n != standard[0]]
        log.add(
            gettext_noop("archive entries %(names)s", names=names(others)),
            gettext_noop("more .qde files than the one project.qde"),
            gettext_noop("only project.qde was read"),
            IGNORED,
        )
        return standard[0]
    candidates = at_root or found
    if len(candidates) != 1:
        if not candidates:
            raise MissingSourceError("the archive holds no .qde project file (project.qde)")
        raise MissingSourceError(
            f"the archive holds {len(candidates)} .qde project files ({names(candidates)}); "
            "it must hold one"
        )
    name = candidates[0]
    place = gettext_noop("archive entry %(name)s", name=repr(name))
    if "/" in name:
        log.add(
            place,
            gettext_noop("the project file is inside a folder instead of at the archive's root"),
            gettext_noop("it was read there, with its sources folder beside it"),
            ADJUSTED,
        )
    elif name != "project.qde":
        log.add(
            place,
            gettext_noop("the project file is not named project.qde"),
            gettext_noop("it was read as the project file"),
            ADJUSTED,
        )
    return name
