"""Labels for bands, lights and review statuses: text and an icon beside every colour."""

from __future__ import annotations

from core.ngap import LIGHT_LABELS
from core.stl import BAND_LABELS

REVIEW_LABELS = {
    "OVERDUE": "⛔ Overdue",
    "DUE": "🟠 Due within a week",
    "OK": "🟢 Not yet due",
    "UNKNOWN": "❔ No start date",
}

__all__ = ["BAND_LABELS", "LIGHT_LABELS", "REVIEW_LABELS"]
