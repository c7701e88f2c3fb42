"""Labels for bands, lights and review statuses: text and an icon beside every colour.

``BAND_LABELS`` and ``BAND_COLOURS`` here are the ones pages use. While the data is stale (older
than ``stale_after_hours``; the freshness banner sets ``st.session_state["stale"]``), GREEN is shown
as unknown, not safe: a case that looked far from its limit when the extract was taken may have
moved since (issue 4; domain.md R12 bands are only as good as the data behind them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import streamlit as st

from core.charts import BAND_COLOURS as _COLOURS
from core.ngap import LIGHT_LABELS
from core.stl import BAND_LABELS as _LABELS
from core.stl import GREEN

STALE_GREEN_LABEL = "❔ GREEN? unknown: data stale"
STALE_GREEN_COLOUR = "#9ca3af"

REVIEW_LABELS = {
    "OVERDUE": "⛔ Overdue",
    "DUE": "🟠 Due within a week",
    "OK": "🟢 Not yet due",
    "UNKNOWN": "❔ No start date",
}


def stale() -> bool:
    """Whether this run's data is older than the freshness threshold (set by ui.freshness)."""
    return bool(st.session_state.get("stale"))


class _StaleAware(Mapping[str, str]):
    """A read-only mapping that answers GREEN with ``stale_value`` while the data is stale."""

    def __init__(self, base: Mapping[str, str], stale_value: str):
        self._base = base
        self._stale_value = stale_value

    def __getitem__(self, key: str) -> str:
        if key == GREEN and stale():
            return self._stale_value
        return self._base[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._base)

    def __len__(self) -> int:
        return len(self._base)

    def __reduce__(self):
        # Pickled (as cache keys are: ui.data.figure) as the labels shown now, so a chart drawn
        # while the data was fresh is never served again once it is stale.
        return dict, (dict(self.items()),)


BAND_LABELS: Mapping[str, str] = _StaleAware(_LABELS, STALE_GREEN_LABEL)
BAND_COLOURS: Mapping[str, str] = _StaleAware(_COLOURS, STALE_GREEN_COLOUR)

__all__ = ["BAND_COLOURS", "BAND_LABELS", "LIGHT_LABELS", "REVIEW_LABELS", "STALE_GREEN_LABEL", "stale"]
