"""A small R-like formula interface that turns moderators into a design matrix.

``design_matrix(data, "ablat + year")`` gives the same matrix and column names as R's
``model.matrix(~ ablat + year, data)`` as metafor uses it:

* the intercept column is called ``intrcpt``; ``- 1`` or ``0 +`` drops it;
* numeric columns enter as they are;
* text, boolean and categorical columns, and any column wrapped in ``factor(x)`` or ``C(x)``,
  are factors: treatment coding against the first level. Levels are sorted (numbers
  numerically, text by Python's code-point order; a pandas ``Categorical`` keeps its own
  order), as R's ``factor()`` does for labels of one case. R in an English locale sorts
  case-insensitively, so for mixed-case labels ("b" vs "A") pass a ``Categorical`` to fix the
  reference level. Column names join the term and the level
  without a separator (``factor(alloc)random``, ``allocrandom``);
* ``a:b`` is an interaction and ``a*b`` expands to ``a + b + a:b``. As in R, a factor in a
  term is coded with contrasts (first level dropped) when the term without that factor is in
  the model (the intercept counts as the empty term), and with all its levels otherwise, so
  ``factor(x) - 1`` gives one column per level.

It is deliberately light: no ``I()``, no functions of columns, no ``.``. Anything else is a
:class:`~yim.stats.meta.errors.DesignError` that names the term, column or row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from yim.stats.meta.errors import DesignError

_NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"
_FACTOR_CALL = re.compile(rf"^(factor|C)\(\s*({_NAME})\s*\)$")
_PLAIN = re.compile(rf"^{_NAME}$")


@dataclass(frozen=True)
class _Variable:
    label: str  # as written and as used in column names: "ablat", "factor(alloc)"
    column: str  # data column
    forced_factor: bool


def _split_top_level(text: str, separators: str) -> list[tuple[str, str]]:
    """Split at separators outside parentheses, keeping the sign/separator before each part."""
    parts: list[tuple[str, str]] = []
    depth = 0
    current: list[str] = []
    sign = "+"
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise DesignError(f"unbalanced ')' in moderator formula {text!r}")
        if depth == 0 and ch in separators:
            parts.append((sign, "".join(current).strip()))
            sign, current = ch, []
        else:
            current.append(ch)
    if depth != 0:
        raise DesignError(f"unbalanced '(' in moderator formula {text!r}")
    parts.append((sign, "".join(current).strip()))
    return parts


def _parse_variable(text: str) -> _Variable:
    match = _FACTOR_CALL.match(text)
    if match:
        return _Variable(label=text.replace(" ", ""), column=match.group(2), forced_factor=True)
    if _PLAIN.match(text):
        return _Variable(label=text, column=text, forced_factor=False)
    raise DesignError(
        f"cannot read moderator term {text!r}: use a column name, factor(name) or C(name)"
    )


def _parse(mods: str, intercept: bool) -> tuple[bool, list[tuple[_Variable, ...]]]:
    """Parse a right-hand side into (intercept?, ordered unique terms)."""
    text = mods.strip()
    if text.startswith("~"):
        text = text[1:].strip()
    terms: list[tuple[_Variable, ...]] = []
    keys: list[tuple[str, ...]] = []
    has_intercept = intercept
    if not text:
        return has_intercept, terms
    for sign, part in _split_top_level(text, "+-"):
        if part == "":
            if sign == "+" and not terms and not keys:
                continue  # a leading sign such as "- 1" or "+ x"
            raise DesignError(f"empty term in moderator formula {mods!r}")
        if part in ("0", "1"):
            has_intercept = sign == "+" and part == "1"
            continue
        if sign == "-":
            raise DesignError(f"removing the term {part!r} is not supported; only '- 1' is")
        star = [p for _, p in _split_top_level(part, "*")]
        if len(star) > 1:
            expanded = [star[0]]
            for nxt in star[1:]:
                expanded = [*expanded, nxt, *(f"{e}:{nxt}" for e in expanded)]
        else:
            expanded = [part]
        for term_text in expanded:
            variables = tuple(_parse_variable(v) for _, v in _split_top_level(term_text, ":"))
            key = tuple(sorted(v.label for v in variables))
            if len(set(key)) != len(key):
                raise DesignError(f"term {term_text!r} repeats a variable")
            if key not in keys:
                keys.append(key)
                terms.append(variables)
    # R orders terms by their order (main effects before two-way interactions, ...)
    order = sorted(range(len(terms)), key=lambda i: len(terms[i]))
    return has_intercept, [terms[i] for i in order]


def _is_factor(series: pd.Series, forced: bool) -> bool:
    if forced:
        return True
    return not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def _levels(series: pd.Series) -> list[object]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        used = set(series.dropna().unique())
        return [c for c in series.cat.categories if c in used]
    values = list(series.dropna().unique())
    if pd.api.types.is_bool_dtype(series):
        return sorted(values)
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _level_label(level: object) -> str:
    if isinstance(level, (bool, np.bool_)):
        return "TRUE" if level else "FALSE"
    if isinstance(level, (float, np.floating)) and float(level).is_integer():
        return str(int(level))
    return str(level)


def _check_column(data: pd.DataFrame, var: _Variable) -> pd.Series:
    if var.column not in data.columns:
        known = ", ".join(map(str, data.columns))
        raise DesignError(f"moderator {var.label!r}: no column {var.column!r} (columns: {known})")
    series = data[var.column]
    missing = np.flatnonzero(series.isna().to_numpy())
    if missing.size:
        raise DesignError(
            f"moderator {var.label!r}: column {var.column!r} is missing a value in row "
            f"{missing[0] + 1}; remove or fill incomplete rows first"
        )
    return series


def design_matrix(
    data: pd.DataFrame, mods: str | None, *, intercept: bool = True
) -> tuple[NDArray[np.float64], list[str]]:
    """Design matrix and column names for the moderators ``mods`` (an R right-hand side).

    ``mods=None`` (or "") gives the intercept-only model. Raises ``DesignError`` for unknown
    columns, missing values, factors with a single level and rank-deficient matrices.
    """
    k = len(data.index)
    has_intercept, terms = _parse(mods or "", intercept)
    columns: list[NDArray[np.float64]] = []
    names: list[str] = []
    if has_intercept:
        columns.append(np.ones(k))
        names.append("intrcpt")
    present = {(): has_intercept} | {tuple(sorted(v.label for v in t)): True for t in terms}

    for term in terms:
        # each variable contributes a list of (label, column) pieces; the term is their product
        pieces: list[list[tuple[str, NDArray[np.float64]]]] = []
        for var in term:
            series = _check_column(data, var)
            if not _is_factor(series, var.forced_factor):
                pieces.append([(var.label, series.to_numpy(dtype=np.float64))])
                continue
            levels = _levels(series)
            if len(levels) < 2:
                raise DesignError(
                    f"moderator {var.label!r}: column {var.column!r} has only one level "
                    f"({_level_label(levels[0]) if levels else 'none'}); it cannot moderate"
                )
            rest = tuple(sorted(v.label for v in term if v is not var))
            coded = levels[1:] if present.get(rest, False) else levels
            values = series.to_numpy()
            pieces.append(
                [
                    (f"{var.label}{_level_label(lv)}", (values == lv).astype(np.float64))
                    for lv in coded
                ]
            )
        combos: list[tuple[str, NDArray[np.float64]]] = [("", np.ones(k))]
        for piece in pieces:  # R varies the first variable fastest
            combos = [
                (f"{name}:{label}" if name else label, prev * col)
                for label, col in piece
                for name, prev in combos
            ]
        for name, col in combos:
            names.append(name)
            columns.append(col)

    if not columns:
        raise DesignError("the model has no columns: add an intercept or a moderator")
    X = np.column_stack(columns).astype(np.float64)
    rank = int(np.linalg.matrix_rank(X))
    if rank < X.shape[1]:
        for j in range(1, X.shape[1] + 1):
            if int(np.linalg.matrix_rank(X[:, :j])) < j:
                raise DesignError(
                    f"design matrix is rank deficient: column {names[j - 1]!r} is a linear "
                    "combination of the columns before it"
                )
    return X, names
