"""What a viewer may see: the forces and teams every query is limited to.

Every query function takes a Scope and binds it as parameters, so access control can be enforced
on the server: a page narrows a scope with the user's filters (``narrow``), and narrowing can
never widen it. ``teams=None`` means every team of the scope's forces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    forces: tuple[str, ...]
    teams: tuple[str, ...] | None = None
    officers: tuple[str, ...] | None = None
    """Officer collar numbers (``oic_id``); None means every officer of the scope's teams."""

    @classmethod
    def everything(cls, forces: Iterable[str]) -> Scope:
        return cls(tuple(sorted(forces)), None)

    def narrow(
        self,
        forces: Iterable[str] | None = None,
        teams: Iterable[str] | None = None,
        officers: Iterable[str] | None = None,
    ) -> Scope:
        """The intersection of this scope and a filter; an empty filter leaves the scope as it is."""
        f = tuple(sorted(set(self.forces) & set(forces))) if forces else self.forces
        return Scope(f, _meet(self.teams, teams), _meet(self.officers, officers))

    def params(self) -> dict[str, object]:
        return {
            "forces": list(self.forces),
            "all_teams": self.teams is None,
            "teams": list(self.teams or ()),
            "all_officers": self.officers is None,
            "officers": list(self.officers or ()),
        }

    @property
    def is_empty(self) -> bool:
        return (
            not self.forces
            or (self.teams is not None and not self.teams)
            or (self.officers is not None and not self.officers)
        )


def _meet(current: tuple[str, ...] | None, wanted: Iterable[str] | None) -> tuple[str, ...] | None:
    if not wanted:
        return current
    chosen = set(wanted)
    return tuple(sorted(chosen if current is None else chosen & set(current)))
