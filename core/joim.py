"""The JOIM sequence: which joint measures a Joint Operational Improvement Meeting steps through,
in which order, and how long each stays on screen.

The measures are agreed locally between the force and the CPS area (the joint inspection of case
building, 2025, found police and CPS share no trusted performance data; a JOIM reviews the same
figures together), so the sequence is configuration: a ``[joim]`` table in the settings file.
"""

from __future__ import annotations

from dataclasses import dataclass

MEASURES: dict[str, str] = {
    "stl_risk": "Open cases by statutory time limit",
    "at_risk": "Cases nearest their STL",
    "black": "Cases lost to an STL (BLACK)",
    "queue": "The CJS submission queue",
    "ngap": "NGAP upgrade files",
    "quality": "Case-building quality",
    "changes": "What changed since the last JOIM",
}
"""Every measure the JOIM view can show, by key, with its slide title."""


@dataclass(frozen=True)
class JoimSettings:
    """``[joim]`` settings: the agreed measures in order, the auto-advance interval and list sizes."""

    measures: tuple[str, ...] = tuple(MEASURES)
    """Slide keys in the order the meeting agreed (see MEASURES)."""
    advance_seconds: int = 45
    """Seconds each slide stays on screen while the sequence plays."""
    at_risk_rows: int = 12
    """Rows on the 'cases nearest their STL' slide. ('What changed' takes the last JOIM date from
    ``[changes] joim_interval_days``.)"""

    def __post_init__(self) -> None:
        unknown = [m for m in self.measures if m not in MEASURES]
        if unknown:
            raise ValueError(f"unknown [joim] measure(s): {', '.join(unknown)}; known: {', '.join(MEASURES)}")
        if not self.measures:
            raise ValueError("[joim] measures must name at least one measure")
        if self.advance_seconds < 5:
            raise ValueError("[joim] advance_seconds must be at least 5")


def step(index: int, count: int, delta: int) -> int:
    """The slide after moving ``delta`` from ``index`` in a sequence of ``count``, wrapping round."""
    if count <= 0:
        raise ValueError("a sequence needs at least one slide")
    return (index + delta) % count


def due_to_advance(last_advanced: float, now: float, interval: float) -> bool:
    """Whether a playing sequence should move on: ``interval`` seconds have passed since it last did.
    Timer reruns that arrive early (or a full page rerun) do not skip a slide."""
    return now - last_advanced >= interval
