"""Pseudonymisation of personal data for a shared screen (JOIM mode, the CPS/JOIM viewer).

A Joint Operational Improvement Meeting looks at police data with another organisation in the room,
so names and URNs are replaced by stable pseudonyms: the same officer or case carries the same token
on every page of the meeting, so people can still say "Officer-3F9A2C81 has four RED cases" without
anyone on screen being identified (Data Protection Act 2018 s.35 and s.37: processing must be
adequate and not excessive for the purpose; a joint performance meeting needs patterns, not people).

Tokens are keyed HMAC-SHA-256 digests of the value under a secret key the server draws at random
when it starts: not reversible without the key, stable while the server runs, and different after
a restart. Which columns are personal is decided by column name (``kind_of``); only text columns are
touched. The reverse map kept by :class:`Pseudonymiser` holds only values that were masked for this
viewer, so revealing a row on purpose (the presenter's choice) needs no second query.

No Streamlit here: the UI layer (``ui.joim``) decides when masking applies.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

URN, PERSON, OFFICER = "URN", "Person", "Officer"

# Column names (lower case) that hold personal data, by kind. Patterns are searched, so
# 'oic_name', 'allocated_officer_id' and 'ngap_section_leader' all match.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (URN, re.compile(r"(^|_)urns?($|_)")),
    (PERSON, re.compile(r"defendant|suspect|person|custody_record|victim_name|witness")),
    (OFFICER, re.compile(r"oic|officer|supervisor|leader|collar|allocated_to|reviewer|(^|_)names?$|group_key$")),
)
# Columns that match a pattern but hold no personal data (counts, flags, codes of rules).
_NOT_PERSONAL = re.compile(
    r"(_valid|_count|_n|_files|_cases|_share|_rate|_score|_due|_overdue|_flag|_date|_days)$"
    r"|^(n_|no_officer_)|^(file_name|sheet_name|force_name|team_name|group_kind)$"
)
_DIGITS = {URN: 10, PERSON: 10, OFFICER: 8}


def kind_of(column: object) -> str | None:
    """The kind of personal data a column holds, from its name, or None if it holds none."""
    name = str(column).strip().lower().replace(" ", "_")
    if _NOT_PERSONAL.search(name):
        return None
    for kind, pattern in _PATTERNS:
        if pattern.search(name):
            return kind
    return None


class Pseudonymiser:
    """Replaces personal values with keyed tokens and remembers what it replaced.

    ``key`` is the server's secret. ``known`` (token -> original) grows with every value masked, so a
    selected, masked row can be turned back into real values (``reveal``) or into the real keys a
    query needs (``unmask``) without asking the store again.
    """

    def __init__(self, key: bytes, known: dict[str, str] | None = None, people: frozenset[str] = frozenset()):
        if len(key) < 16:
            raise ValueError("the pseudonymisation key must be at least 16 bytes")
        self._key = key
        self.known: dict[str, str] = known if known is not None else {}
        self.people = people
        """Officers' names and collar numbers known to the store: masked wherever they appear as a
        whole cell, whatever the column is called (a grouping column can hold a team or a person)."""

    def token(self, value: str, kind: str) -> str:
        digest = hmac.new(self._key, f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()
        out = f"{kind}-{digest[: _DIGITS[kind]].upper()}"
        self.known[out] = value
        return out

    def _series(self, s: pd.Series, kind: str | None) -> pd.Series:
        """Mask a text column: every value if ``kind`` is given, else only the known people in it."""
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            return s
        cache: dict[str, str] = {}

        def one(v: str) -> str:
            if v not in cache:
                if kind is not None and v.strip() != "":
                    cache[v] = self.token(v, kind)
                elif kind is None and v in self.people:
                    cache[v] = self.token(v, OFFICER)
                else:
                    cache[v] = v
            return cache[v]

        def cell(v: Any) -> Any:
            if isinstance(v, str):
                return one(v)
            if isinstance(v, (list, tuple)) or (hasattr(v, "tolist") and not isinstance(v, (int, float))):
                items = v.tolist() if hasattr(v, "tolist") else list(v)
                return [one(x) if isinstance(x, str) else x for x in items]
            return v

        if kind is None and not self.people:
            return s
        out = s.map(cell)
        return out.astype(object) if kind is not None else out

    def frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``df`` with every personal text column (and a personal index) pseudonymised."""
        out = df.copy()
        for column in df.columns:
            if isinstance(out[column], pd.DataFrame):  # duplicate column names: mask by position
                continue
            out[column] = self._series(out[column], kind_of(column))
        if df.index.dtype == object:
            out.index = pd.Index(self._series(df.index.to_series(), kind_of(df.index.name)).to_numpy(),
                                 name=df.index.name)
        return out

    def apply(self, obj: Any) -> Any:
        """Pseudonymise personal columns anywhere in a query result: frames, and frames held in
        dataclasses, dicts, lists and tuples (other values are returned as they are)."""
        if isinstance(obj, pd.DataFrame):
            return self.frame(obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            changes = {}
            for fld in dataclasses.fields(obj):
                if not fld.init:
                    continue
                value = getattr(obj, fld.name)
                masked = self.apply(value)
                if masked is not value:
                    changes[fld.name] = masked
            return dataclasses.replace(obj, **changes) if changes else obj
        if isinstance(obj, dict):
            return {k: self.apply(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.apply(v) for v in obj]
        if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
            return tuple(self.apply(v) for v in obj)
        return obj

    def label(self, value: str | None, kind: str = OFFICER) -> str | None:
        """One value as its token (for widget labels such as the officer filter)."""
        if value is None or str(value).strip() == "":
            return value
        return self.token(str(value), kind)

    def unmask(self, value: Any) -> Any:
        """The real value behind a token this pseudonymiser issued (others are returned unchanged),
        through tuples, lists and dicts: turns a masked selection back into query arguments."""
        if isinstance(value, str):
            return self.known.get(value, value)
        if isinstance(value, tuple):
            return tuple(self.unmask(v) for v in value)
        if isinstance(value, list):
            return [self.unmask(v) for v in value]
        if isinstance(value, dict):
            return {k: self.unmask(v) for k, v in value.items()}
        return value

    def reveal(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """One masked row with its real values, for the presenter's deliberate reveal."""
        return {k: self.unmask(v) if isinstance(v, str) else v for k, v in row.items()}


def personal_columns(columns: Iterable[object]) -> list[str]:
    """The columns of a frame that ``Pseudonymiser.frame`` would mask."""
    return [str(c) for c in columns if kind_of(c)]
