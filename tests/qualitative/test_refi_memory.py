"""Security finding 2 (issue 10): a .qdpx whose size headers lie must not exhaust memory.

The archives here are written byte by byte: the central directory and the local headers
declare a small entry while its deflate stream expands to hundreds of megabytes. Every read
goes in bounded chunks and counts the bytes that really come out, so the import is refused
after a few megabytes at most, with the entry named, whatever the headers say.
"""

import tracemalloc
import zipfile
import zlib

import pytest

from tests.qualitative.refi_fixtures import (
    YOUTH_SRC,
    deflate_stream,
    honest_entries,
    jim_project,
    raw_zip,
    unzip,
)
from yim.qualitative.refi.errors import (
    ArchiveTooLargeError,
    CompressionRatioError,
    EntryTooLargeError,
    UnsafeArchiveError,
)
from yim.qualitative.refi.export import export_qdpx
from yim.qualitative.refi.importer import import_qdpx
from yim.qualitative.refi.safety import ArchiveLimits

MiB = 1024 * 1024
BOMB = 256 * MiB  # what the lying entry really expands to
PEAK = 64 * MiB  # the most an import may hold at once, whatever the file


def lying_qdpx(victim: str, expands_to: int, byte: bytes = b"\0", declared: int = 100) -> bytes:
    """The fixture project where entry ``victim`` declares ``declared`` bytes (and a ratio far
    under any limit) but really expands to ``expands_to`` bytes of ``byte``."""
    files = unzip(export_qdpx(jim_project()))
    entries = [e for e in honest_entries(files) if e[0] != victim]
    stream = deflate_stream(expands_to, byte)
    entries.append((victim, stream, zipfile.ZIP_DEFLATED, declared, zlib.crc32(b"")))
    return raw_zip(entries)


def peak_of(call):
    """Run ``call``; return (its exception or None, the peak of traced memory meanwhile)."""
    tracemalloc.start()
    try:
        call()
    except Exception as exc:  # the exception is the result under test
        error = exc
    else:
        error = None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return error, peak


@pytest.mark.parametrize("victim", [f"sources/{YOUTH_SRC}.txt", "project.qde"])
def test_an_entry_whose_headers_lie_is_refused_early_with_bounded_memory(victim):
    data = lying_qdpx(victim, BOMB)
    assert len(data) < 2 * MiB  # a small upload …
    error, peak = peak_of(lambda: import_qdpx(data))
    # … refused, naming the entry, after reading little of it, without holding it in memory
    assert isinstance(error, CompressionRatioError), error
    assert victim in str(error) and "zip bomb" in str(error)
    assert error.entry == victim
    assert error.produced <= 2 * MiB
    assert peak < PEAK, f"peak {peak / MiB:.0f} MiB"


def test_a_lying_entry_that_compresses_moderately_stops_at_the_per_source_limit():
    # Ratio under the limit, so only the count of real bytes can stop it.
    limits = ArchiveLimits(max_entry_uncompressed=8 * MiB, max_compression_ratio=10**9)
    data = lying_qdpx(f"sources/{YOUTH_SRC}.txt", BOMB)
    error, peak = peak_of(lambda: import_qdpx(data, limits=limits))
    assert isinstance(error, EntryTooLargeError), error
    assert error.entry == f"sources/{YOUTH_SRC}.txt" and error.limit == 8 * MiB
    assert f"sources/{YOUTH_SRC}.txt" in str(error)
    assert peak < PEAK, f"peak {peak / MiB:.0f} MiB"


def test_the_total_of_real_bytes_over_all_entries_is_limited():
    limits = ArchiveLimits(max_total_uncompressed=3 * MiB, max_compression_ratio=10**9)
    data = lying_qdpx(f"sources/{YOUTH_SRC}.txt", 4 * MiB)
    with pytest.raises(ArchiveTooLargeError, match="more than 3 MB in total"):
        import_qdpx(data, limits=limits)


def test_the_ratio_is_checked_on_real_bytes_even_for_entries_declared_tiny():
    # 2 MiB of one letter: a declared size of 100 bytes used to exempt it from the ratio check.
    data = lying_qdpx(f"sources/{YOUTH_SRC}.txt", 2 * MiB, byte=b"a")
    with pytest.raises(CompressionRatioError) as caught:
        import_qdpx(data)
    assert caught.value.produced <= 2 * MiB


def test_an_honest_entry_that_compresses_very_well_but_is_small_is_read():
    # Whitespace-heavy XML compresses far beyond 100:1, but under the 1 MiB floor it is harmless.
    files = unzip(export_qdpx(jim_project()))
    files["project.qde"] = files["project.qde"].replace(b"<Users>", b" " * 500_000 + b"<Users>")
    result = import_qdpx(raw_zip(honest_entries(files)))
    assert result.project == jim_project()


def test_an_entry_whose_stream_differs_from_its_header_is_reported_as_damaged():
    # The stream is short and honest in ratio, but the declared size is wrong.
    data = lying_qdpx("project.qde", 5000, byte=b"<")
    with pytest.raises(UnsafeArchiveError, match=r"'project\.qde'.*(damaged|wrong)"):
        import_qdpx(data)
