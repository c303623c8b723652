"""What is wrong with a researcher's table: one :class:`Problem` per place, all of them at once.

A problem names the spreadsheet row (the header is row 1, so the first record is row 2, in
every file format) and the column where it can, so a file can be fixed in one go.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from yim.stats.meta.errors import MetaAnalysisError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input; ``row`` is the 1-based spreadsheet row (header = 1)."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, int | str | None]:
        return {"row": self.row, "column": self.column, "message": self.message}


class DataError(MetaAnalysisError):
    """The table cannot be analysed; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        shown = [str(p) for p in self.problems[:20]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more problems")
        super().__init__("; ".join(shown) if shown else "the data cannot be analysed")

    @property
    def cell_problems(self) -> tuple[Problem, ...]:
        """The problems of one data row (a bad cell), as opposed to the whole table's."""
        return tuple(p for p in self.problems if p.row is not None and p.row >= 2)


__all__ = ["DataError", "Problem"]
