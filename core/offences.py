"""Offence reference data: CJS offence code -> category, mode of trial and special STL rule.

Why this module exists
----------------------
Whether a statutory time limit (STL) applies at all depends on the offence's mode of trial:
MCA 1980 s.127 limits summary-only offences to six months and does not apply to either-way or
indictable-only offences (s.127(2); Interpretation Act 1978 Sch 1). Some summary offences carry
a different, statute-specific limit (CJA 1988 s.39A, RTOA 1988 s.6, AWA 2006 s.31, CA 2003
s.127(5), WCA 1981 s.20). The extracts give us a CJS offence code; this module turns it into
an :class:`OffenceRef` that ``core.stl`` can use. A code we do not know is never assumed to be
"no limit" — ``lookup`` returns ``None`` and the STL engine reports ``UNKNOWN_OFFENCE``.

Two file formats
----------------
1. **Hand-checked table** (shipped: ``core/reference/offences.csv``), header::

       cjs_code,offence_title,category,mode_of_trial,special_rule,long_stop_years,legislation,note

   ``category`` is copied exactly from the CJS Offence Index; ``mode_of_trial`` is one of
   ``SUMMARY`` / ``EITHER_WAY`` / ``INDICTABLE_ONLY`` (or empty for non-criminal categories);
   ``special_rule`` is one of :data:`SPECIAL_RULES`; ``long_stop_years`` is an integer for the
   evidence-knowledge rules (R4) and empty otherwise. Every row was checked by hand against
   the legislation named in ``legislation``; ``note`` records the reasoning.

2. **CJS Offence Index standing data** (the PNLD/gov.uk publication, e.g.
   ``../shared/data/cjs-offences.csv``; not shipped), header starting::

       cjs_code,offence_category,offence_title,...

   Other columns (e.g. ``recordable_on_pnc``) are ignored. Mode of trial is derived from the
   category (:func:`mode_of_trial_for_category`); special rules are ``NONE``.

:meth:`OffenceIndex.from_csv` detects the format from the header. :meth:`OffenceIndex.merged`
combines both: the full index supplies coverage, and wherever a code is in the hand-checked
table, that table's mode of trial, special rule and long stop win.

Offence Category Codes (CJS Offence Index): CS summary non-motoring and CM summary motoring
(=> SUMMARY); CE either way (=> EITHER_WAY); CI indictable only (=> INDICTABLE_ONLY); CB
non-offence breach, CR civil-related, EF/EM/EX enforcement, VA/VP civil (=> no mode of trial).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

__all__ = [
    "SUMMARY",
    "EITHER_WAY",
    "INDICTABLE_ONLY",
    "MODES_OF_TRIAL",
    "SPECIAL_RULES",
    "NON_CRIMINAL_CATEGORIES",
    "BUNDLED_PATH",
    "OffenceRef",
    "OffenceIndex",
    "mode_of_trial_for_category",
    "normalise_code",
]

SUMMARY = "SUMMARY"
EITHER_WAY = "EITHER_WAY"
INDICTABLE_ONLY = "INDICTABLE_ONLY"
MODES_OF_TRIAL = (SUMMARY, EITHER_WAY, INDICTABLE_ONLY)

SPECIAL_RULES = ("NONE", "DA_S39A", "RTOA_S6", "AWA_S31", "CA2003_S127", "WCA_S20", "CHECK_S22")
"""Special STL rules a code can carry (see ``core.stl`` for what each does)."""

_CATEGORY_MODE = {"CS": SUMMARY, "CM": SUMMARY, "CE": EITHER_WAY, "CI": INDICTABLE_ONLY}
NON_CRIMINAL_CATEGORIES = frozenset({"CB", "CR", "EF", "EM", "EX", "VA", "VP"})

BUNDLED_PATH = Path(__file__).resolve().parent / "reference" / "offences.csv"

_HAND_HEADER = ("cjs_code", "offence_title", "category", "mode_of_trial", "special_rule", "long_stop_years")
_CJS_HEADER = ("cjs_code", "offence_category", "offence_title")


def mode_of_trial_for_category(category: str | None) -> str | None:
    """Mode of trial for a CJS Offence Category Code; ``None`` for non-criminal/unknown ones.

    Source: CJS Offence Index category codes; MCA 1980 s.127(2) and Interpretation Act 1978
    Sch 1 (either-way offences are "indictable"). CS/CM -> SUMMARY, CE -> EITHER_WAY,
    CI -> INDICTABLE_ONLY; CB/CR/EF/EM/EX/VA/VP, blank or ``None`` -> ``None``.
    """
    if not category:
        return None
    return _CATEGORY_MODE.get(category.strip().upper())


def normalise_code(code: str | None) -> str:
    """Strip and upper-case an offence code (``None`` -> ``""``)."""
    return code.strip().upper() if code else ""


@dataclass(frozen=True, slots=True)
class OffenceRef:
    """What Casewatch knows about one CJS offence code.

    ``mode_of_trial`` is ``None`` for non-criminal categories. ``special_rule`` is one of
    :data:`SPECIAL_RULES`; ``long_stop_years`` is set for the R4 evidence-knowledge rules.
    ``hand_checked`` marks rows from the hand-checked table (they win in :meth:`OffenceIndex.merged`).
    """

    code: str
    title: str
    category: str
    mode_of_trial: str | None
    special_rule: str = "NONE"
    long_stop_years: int | None = None
    legislation: str = ""
    note: str = ""
    hand_checked: bool = False


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        return header, list(reader)


def _cell(row: dict[str, str], key: str) -> str:
    value = row.get(key)
    return value.strip() if value else ""


class OffenceIndex:
    """An immutable lookup from normalised CJS offence code to :class:`OffenceRef`.

    Build it with :meth:`bundled`, :meth:`from_csv` (either format), :meth:`from_cjs_index_csv`
    or :meth:`from_reference_csv`; combine two with :meth:`merged`. Iteration yields the
    ``OffenceRef`` objects in load order; ``len`` is the number of codes.
    """

    __slots__ = ("_by_code",)

    def __init__(self, refs: Iterable[OffenceRef] = ()) -> None:
        by_code: dict[str, OffenceRef] = {}
        for ref in refs:
            code = normalise_code(ref.code)
            if code != ref.code:
                ref = replace(ref, code=code)
            by_code[code] = ref
        self._by_code = by_code

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def bundled(cls) -> OffenceIndex:
        """The hand-checked table shipped in ``core/reference/offences.csv`` (cached)."""
        return _bundled()

    @classmethod
    def from_reference_csv(cls, path: str | Path) -> OffenceIndex:
        """Load a hand-checked table (format 1 in the module docstring).

        Raises ``ValueError`` on an unknown mode of trial or special rule, or a mode that does
        not match the category, because a silent typo here would change legal deadlines.
        """
        header, rows = _read_rows(Path(path))
        missing = [h for h in _HAND_HEADER if h not in header]
        if missing:
            raise ValueError(f"{path}: not a hand-checked offence table; missing columns {missing}")
        refs = []
        for n, row in enumerate(rows, start=2):
            code = normalise_code(row.get("cjs_code"))
            if not code:
                continue
            category = _cell(row, "category").upper()
            mode = _cell(row, "mode_of_trial").upper() or None
            rule = _cell(row, "special_rule").upper() or "NONE"
            long_stop = _cell(row, "long_stop_years")
            if mode is not None and mode not in MODES_OF_TRIAL:
                raise ValueError(f"{path}:{n}: unknown mode_of_trial {mode!r}")
            if mode != mode_of_trial_for_category(category):
                raise ValueError(f"{path}:{n}: mode_of_trial {mode!r} does not match category {category!r}")
            if rule not in SPECIAL_RULES:
                raise ValueError(f"{path}:{n}: unknown special_rule {rule!r}")
            refs.append(
                OffenceRef(
                    code=code,
                    title=_cell(row, "offence_title"),
                    category=category,
                    mode_of_trial=mode,
                    special_rule=rule,
                    long_stop_years=int(long_stop) if long_stop else None,
                    legislation=_cell(row, "legislation"),
                    note=_cell(row, "note"),
                    hand_checked=True,
                )
            )
        return cls(refs)

    @classmethod
    def from_cjs_index_csv(cls, path: str | Path) -> OffenceIndex:
        """Load CJS Offence Index standing data (format 2 in the module docstring).

        Mode of trial comes from the category; non-criminal categories give ``None``.
        Special rules are ``NONE`` (merge with :meth:`bundled` to get them).
        """
        header, rows = _read_rows(Path(path))
        missing = [h for h in _CJS_HEADER if h not in header]
        if missing:
            raise ValueError(f"{path}: not a CJS offence index file; missing columns {missing}")
        refs = []
        for row in rows:
            code = normalise_code(row.get("cjs_code"))
            if not code:
                continue
            category = _cell(row, "offence_category").upper()
            refs.append(
                OffenceRef(
                    code=code,
                    title=_cell(row, "offence_title"),
                    category=category,
                    mode_of_trial=mode_of_trial_for_category(category),
                )
            )
        return cls(refs)

    @classmethod
    def from_csv(cls, path: str | Path) -> OffenceIndex:
        """Load either format, detected from the header (``offence_category`` -> CJS index;
        ``category`` + ``special_rule`` -> hand-checked table). ``ValueError`` otherwise."""
        with open(path, newline="", encoding="utf-8-sig") as fh:
            first = next(csv.reader(fh), [])
        header = {h.strip().lower() for h in first}
        if "offence_category" in header:
            return cls.from_cjs_index_csv(path)
        if {"category", "special_rule"} <= header:
            return cls.from_reference_csv(path)
        raise ValueError(f"{path}: unrecognised offence file header {sorted(header)}")

    # -- combination --------------------------------------------------------------------
    def merged(self, other: OffenceIndex) -> OffenceIndex:
        """Union of two indexes. For a code in both, a hand-checked entry wins over one that
        is not (so its special rule, mode of trial and long stop apply); if both or neither
        are hand-checked, ``self`` wins. Codes only in one index are kept as they are."""
        combined = dict(self._by_code)
        for code, theirs in other._by_code.items():
            ours = combined.get(code)
            if ours is None or (theirs.hand_checked and not ours.hand_checked):
                combined[code] = theirs
        return OffenceIndex(combined.values())

    # -- access -------------------------------------------------------------------------
    def lookup(self, code: str | None) -> OffenceRef | None:
        """The reference for ``code`` (stripped, upper-cased), or ``None`` if unknown/blank."""
        if not code:
            return None
        ref = self._by_code.get(code)
        if ref is None:
            ref = self._by_code.get(code.strip().upper())
        return ref

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.lookup(code) is not None

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[OffenceRef]:
        return iter(self._by_code.values())

    def __repr__(self) -> str:
        return f"OffenceIndex({len(self)} codes)"


@lru_cache(maxsize=1)
def _bundled() -> OffenceIndex:
    return OffenceIndex.from_reference_csv(BUNDLED_PATH)
