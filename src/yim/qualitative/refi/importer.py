"""Read REFI-QDA ``.qdpx`` projects and ``.qdc`` codebooks from untrusted files.

Two kinds of trouble are told apart:

* **Unsafe input is refused whole** with a specific :class:`~.errors.RefiError`: a file that
  is not a ZIP archive, entries that climb out of the archive, too many entries, an entry or
  archive that really unpacks past its limit or expands like a zip bomb (counted while
  reading, see :mod:`.safety`), XML with a DTD or entities, XML that is not well formed, or
  a project file whose core (the code tree) cannot be read.
* **Everything else is imported as far as that is safe, and said so** in an
  :class:`~.report.ImportReport` (REFI-QDA §7 "data loss"): each problem with its place
  (element, name or GUID, line or archive entry) and what was done. Real tools write files
  that bend the standard: :mod:`.sources` finds their files, :mod:`.repair` makes their XML fit
  the schema, :mod:`.media` keeps PDF, audio and video sources as text. Broken selections,
  codings of unknown codes and unreadable sources are dropped, and every coding in the file
  that is not imported is counted.

What yim does not store (the formatted originals named by ``richTextPath``, modification
metadata, pictures, links, graphs) is listed in the report too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from .errors import UnsafeArchiveError
from .model import Codebook, Project, Set, guid_key
from .reader import (
    ProjectReader,
    _child,
    _items,
    _refs,
    _text,
    _walk,
    read_codes,
)
from .reader import _typed as _typed  # used by yim.qualitative.convert and the models
from .repair import dedupe_guids, prepare
from .report import (
    ADJUSTED,
    IGNORED,
    NOT_KEPT,
    ImportIssue,
    ImportReport,
    IssueLog,
    codings_in,
    gettext_noop,
    local,
    names,
    where,
)
from .safety import DEFAULT_LIMITS, ArchiveLimits, ArchiveReader, parse_untrusted_xml
from .sources import ArchiveFiles, NoArchive, PdfExtractor, SourceFiles, extract_pdf, find_qde

__all__ = [
    "CodebookImportResult",
    "ImportIssue",
    "ImportReport",
    "ImportResult",
    "ProjectReader",
    "import_qdc",
    "import_qde",
    "import_qdpx",
    "project_metadata_not_kept",
]


class _Reported:
    """What an import read, with the report of what it changed or left out."""

    report: ImportReport

    @property
    def warnings(self) -> tuple[str, ...]:
        """The report as one English line per issue."""
        return self.report.lines()


@dataclass(frozen=True)
class ImportResult(_Reported):
    project: Project
    report: ImportReport = field(default_factory=ImportReport)


@dataclass(frozen=True)
class CodebookImportResult(_Reported):
    codebook: Codebook
    report: ImportReport = field(default_factory=ImportReport)


# ---------------------------------------------------------------------------------------------
def _finish(
    project: Project, log: IssueLog, codings_in_file: int, sources_in_file: int
) -> ImportResult:
    imported = sum(
        len(s.codings) + sum(len(sel.codings) for sel in s.selections) for s in project.sources
    )
    unexplained = codings_in_file - imported - sum(issue.codings for issue in log.issues)
    if unexplained:  # pragma: no cover - a safety net: every drop above counts its codings
        log.add(
            gettext_noop("project"),
            gettext_noop("%(count)s coding(s) were not imported", count=unexplained),
            gettext_noop("no more specific reason was recorded"),
            codings=unexplained,
        )
    project.validate()  # a safety net: every repair above leaves a consistent project
    report = ImportReport(
        issues=tuple(log.issues),
        sources_in_file=sources_in_file,
        sources_imported=len(project.sources),
        codings_in_file=codings_in_file,
        codings_imported=imported,
    )
    return ImportResult(project, report)


def _import_project_xml(
    xml: bytes, files: SourceFiles, log: IssueLog, what: str, pdf: PdfExtractor
) -> ImportResult:
    root = parse_untrusted_xml(xml, what)
    # Count before anything is repaired or left out: every coding not imported is reported.
    codings_in_file = codings_in(root)
    holder = _child(root, "Sources")
    sources_in_file = 0 if holder is None else sum(1 for e in holder if local(e))
    prepare(root, "project", what, log)
    dedupe_guids(root, "project", log)
    project = ProjectReader(files, log, pdf).project(root)
    return _finish(project, log, codings_in_file, sources_in_file)


# ---------------------------------------------------------------------------------------------
# Entry points


def import_qdpx(
    data: bytes,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    extract_pdf: PdfExtractor = extract_pdf,
) -> ImportResult:
    """Import a ``.qdpx`` archive (bytes). Unsafe input raises a :class:`~.errors.RefiError`;
    everything else is imported as far as is safe, with an :class:`ImportReport`."""
    with ArchiveReader(data, limits) as reader:
        log = IssueLog()
        qde = find_qde(reader, log)
        xml = reader.read(qde, limits.max_xml_bytes)
        files = ArchiveFiles(reader, qde[: qde.rfind("/") + 1])
        result = _import_project_xml(xml, files, log, qde, extract_pdf)
        unused = [n for n in reader.names if n != qde and n not in reader.used]
        if not unused:
            return result
        issue = ImportIssue(
            gettext_noop("archive entries %(names)s", names=names(unused)),
            gettext_noop("%(count)s file(s) the project does not refer to", count=len(unused)),
            gettext_noop("they were not read"),
            IGNORED,
        )
        return replace(result, report=result.report.adding([issue]))


def import_qde(data: bytes, *, limits: ArchiveLimits = DEFAULT_LIMITS) -> ImportResult:
    """Import a bare ``project.qde`` whose texts are embedded as ``PlainTextContent``."""
    if len(data) > limits.max_xml_bytes:
        raise UnsafeArchiveError(f"project.qde is larger than {limits.max_xml_bytes} bytes")
    return _import_project_xml(data, NoArchive(), IssueLog(), "project.qde", extract_pdf)


def import_qdc(data: bytes, *, limits: ArchiveLimits = DEFAULT_LIMITS) -> CodebookImportResult:
    """Import a ``.qdc`` codebook (bytes), with the same leniency and report as a project."""
    if len(data) > limits.max_xml_bytes:
        raise UnsafeArchiveError(f"the codebook is larger than {limits.max_xml_bytes} bytes")
    log = IssueLog()
    root = parse_untrusted_xml(data, "codebook.qdc")
    prepare(root, "codebook", "codebook.qdc", log)
    dedupe_guids(root, "codebook", log)
    codes = read_codes(root)
    known = {guid_key(c.guid) for c, _path in _walk(codes)}
    sets = []
    for s in _items(root, "Sets", "Set"):
        members = _refs(s, "MemberCode", attr="guid")
        kept = tuple(m for m in members if guid_key(m) in known)
        if len(kept) != len(members):
            log.add(
                where(s),
                gettext_noop(
                    "%(count)s member(s) are not codes of the codebook",
                    count=len(members) - len(kept),
                ),
                gettext_noop("those members were removed"),
                ADJUSTED,
            )
        sets.append(Set(s.get("guid"), s.get("name"), _text(s, "Description"), kept))
    codebook = Codebook(codes, tuple(sets), root.get("origin") or "")
    codebook.validate()
    return CodebookImportResult(codebook, ImportReport(issues=tuple(log.issues)))


def project_metadata_not_kept(project: Project) -> tuple[ImportIssue, ...]:
    """What a yim interview project does not store of an imported REFI project: who made and
    last changed the project, and when. For the import report."""
    users = {guid_key(u.guid): u.name or u.guid for u in project.users}

    def who(guid: str | None) -> str:
        return users.get(guid_key(guid), guid) if guid else "?"

    def when(moment: datetime | None) -> str:
        return moment.isoformat() if moment else "?"

    place = gettext_noop("project %(name)s", name=repr(project.name))
    said = (
        (
            project.creating_user or project.creation_datetime,
            gettext_noop(
                "the file says it was created by %(who)s on %(when)s",
                who=who(project.creating_user),
                when=when(project.creation_datetime),
            ),
            gettext_noop("a yim project records its own creation instead; this is not kept"),
        ),
        (
            project.modifying_user or project.modified_datetime,
            gettext_noop(
                "the file says it was last changed by %(who)s on %(when)s",
                who=who(project.modifying_user),
                when=when(project.modified_datetime),
            ),
            gettext_noop("yim records its own changes instead; this is not kept"),
        ),
    )
    return tuple(ImportIssue(place, what, why, NOT_KEPT) for given, what, why in said if given)
