"""Subprocess worker: extract plain text from one DOCX, ODT or PDF file.

Run only by :func:`yim.qualitative.transcripts.extract_document_text`::

    python -m yim.qualitative._extract_worker KIND PATH MAX_MEMORY CPU_SECONDS MAX_OUTPUT

The worker lowers its own resource limits (address space, CPU time, size of files it writes)
*before* it imports a parser or reads a byte of the untrusted file, then writes the extracted
text as UTF-8 to stdout, which the parent points at a temporary file. Setting the limits here
rather than in a ``preexec_fn`` gives the same protection and stays safe when the parent is a
multi-threaded web server (``preexec_fn`` can deadlock there).

Exit codes: 0 text written; 3 no extractable text; 4 encrypted; 5 unreadable or corrupt;
6 output larger than MAX_OUTPUT; 2 bad invocation. The reason is the last line on stderr.
"""

from __future__ import annotations

import sys

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NO_TEXT = 3
EXIT_ENCRYPTED = 4
EXIT_CORRUPT = 5
EXIT_TOO_LARGE = 6


def _limit_resources(max_memory: int, cpu_seconds: int, max_output: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not Linux/Unix: rely on the parent's timeout
        return
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    # Output is a file: writing beyond the cap kills the process with SIGXFSZ. The margin
    # leaves room for UTF-8 expansion of the character cap checked below.
    resource.setrlimit(resource.RLIMIT_FSIZE, (4 * max_output + 1024, 4 * max_output + 1024))
    if hasattr(resource, "RLIMIT_NPROC"):
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # no child processes
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _docx_text(path: str) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(path)
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _odt_text(path: str) -> str:
    from odf import teletype
    from odf.opendocument import load

    document = load(path)
    lines: list[str] = []

    def walk(node: object) -> None:
        for child in getattr(node, "childNodes", ()):
            name = getattr(child, "qname", None)
            local = name[1] if name else None
            if local in ("p", "h"):
                lines.append(teletype.extractText(child))
            elif local == "table-row":
                lines.append(
                    "\t".join(
                        teletype.extractText(cell)
                        for cell in child.childNodes
                        if getattr(cell, "qname", (None, None))[1] == "table-cell"
                    )
                )
            else:
                walk(child)

    walk(document.text)
    return "\n".join(lines)


class _Encrypted(Exception):
    pass


def _pdf_text(path: str) -> str:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if reader.is_encrypted:
        try:
            ok = reader.decrypt("")
        except Exception as exc:
            raise _Encrypted from exc
        if not ok:
            raise _Encrypted
    return "\n".join((page.extract_text() or "") for page in reader.pages)


_EXTRACTORS = {"docx": _docx_text, "odt": _odt_text, "pdf": _pdf_text}


def main(argv: list[str]) -> int:
    if len(argv) != 5 or argv[0] not in _EXTRACTORS:
        print("usage: KIND(docx|odt|pdf) PATH MAX_MEMORY CPU_SECONDS MAX_OUTPUT", file=sys.stderr)
        return EXIT_USAGE
    kind, path = argv[0], argv[1]
    max_memory, cpu_seconds, max_output = (int(a) for a in argv[2:])
    _limit_resources(max_memory, cpu_seconds, max_output)
    try:
        text = _EXTRACTORS[kind](path)
    except _Encrypted:
        print("the document is password-protected", file=sys.stderr)
        return EXIT_ENCRYPTED
    except MemoryError:
        print("the document needs more memory than allowed", file=sys.stderr)
        return EXIT_CORRUPT
    except Exception as exc:
        print(f"the file cannot be read as {kind}: {type(exc).__name__}", file=sys.stderr)
        return EXIT_CORRUPT
    if not text.strip():
        print("the document contains no extractable text", file=sys.stderr)
        return EXIT_NO_TEXT
    if len(text) > max_output:
        print(f"the extracted text is longer than {max_output} characters", file=sys.stderr)
        return EXIT_TOO_LARGE
    sys.stdout.buffer.write(text.encode("utf-8", errors="replace"))
    sys.stdout.buffer.flush()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
