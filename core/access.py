"""Who may see what: roles from identity claims through a mapping file, default deny.

Why
---
The data is OFFICIAL-SENSITIVE personal data processed for law enforcement, so need-to-know must
be enforced on the server (DPA 2018 s.40 and s.66 security; s.57 data protection by default;
Government Security Classifications Policy; reliability.md O6, O9, O10, O12, decision 9; tests
SC-06, SC-09, SC-10). Identity comes from the force's identity provider (OpenID Connect through
``st.login``; Microsoft Entra ID app roles arrive in the ID token's ``roles`` claim, which avoids
the group-overage problem of ``groups``); *authorisation* is decided here, from those claims, by a
mapping file the force controls (docs/access.md; features.md idea 11).

Roles
-----
==================  ===========================================================================
``officer``         their own cases: ``oic_id`` = their collar number, within the listed forces
``section_leader``  the listed teams of the listed forces
``cjs_manager``     the whole of the listed forces (``"*"``: every force in the store)
``joim_viewer``     the joint police/CPS (JOIM) view of the listed forces, pseudonymised: no names,
                    URNs or other personal data; no exports by default
``administrator``   loads data and reads the audit log; sees no case data
==================  ===========================================================================

**Default deny.** A user whose claims match no rule, or whose only rule cannot be satisfied (an
officer rule whose collar claim is missing), gets ``role=None`` and the empty scope
:data:`NOTHING`, under which every scoped query returns no rows (``list_contains([], x)`` is
false; tests/unit/test_access.py runs queries on the sample store to prove it). ``Access.scope``
is never ``None``: a caller that forgets to check ``allowed`` still gets nothing.

**Several matching rules.** The role listed first in the mapping file's ``priority`` wins, and
within that role the first matching rule in file order gives the scope (scopes of several rules
are *not* merged: a union of force and team lists could grant a team in a force nobody meant).
The default priority is least privilege first: joim_viewer, officer, section_leader,
cjs_manager, administrator. A force that assigns broad groups ("all officers") alongside
specific ones reorders ``priority`` so the specific role wins.

This module is pure Python (no Streamlit, no clock). It decides; the UI applies the result.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.scope import Scope

if TYPE_CHECKING:
    from core.config import Settings

ROLES = ("officer", "section_leader", "cjs_manager", "joim_viewer", "administrator")
ROLE_LABELS = {
    "officer": "Officer",
    "section_leader": "Section leader",
    "cjs_manager": "CJS manager",
    "joim_viewer": "CPS/JOIM viewer (pseudonymised)",
    "administrator": "Administrator",
}
DEFAULT_PRIORITY = ("joim_viewer", "officer", "section_leader", "cjs_manager", "administrator")
"""Least privilege first (module docstring)."""

DEFAULT_EXPORT_ROW_CAP = {
    "officer": 500,
    "section_leader": 5_000,
    "cjs_manager": 20_000,
    "joim_viewer": 0,
    "administrator": 0,
}
"""Rows per export by role; 0 means the role cannot export (NCSC Protecting Bulk Personal Data:
restrict access to large quantities of records; reliability.md O12)."""

NOTHING = Scope(forces=(), teams=(), officers=())
"""The deny scope: no forces, no teams, no officers. Narrowing it gives itself; every query bound
to it returns no rows."""

USER_CLAIMS = ("oid", "sub", "email", "preferred_username")
"""Claims tried, in order, for the user's stable id (Entra's object id ``oid`` first: e-mail
addresses change and can be reassigned)."""

NAME_CLAIMS = ("name", "email", "preferred_username", "upn")
CASELESS_CLAIMS = frozenset({"email", "preferred_username", "upn", "unique_name"})
"""Claims matched ignoring case (e-mail addresses); every other claim value matches exactly."""

WILDCARD = "*"
_RULE_KEYS = {"claim", "value", "role", "forces", "teams", "collar", "collar_claim", "name"}
_ROLE_KEYS = {
    "officer": {"forces", "collar", "collar_claim"},
    "section_leader": {"forces", "teams"},
    "cjs_manager": {"forces"},
    "joim_viewer": {"forces", "teams"},
    "administrator": set(),
}
"""Scope keys each role's rule may carry (anything else is refused, so a typo cannot widen)."""


class MappingError(ValueError):
    """The role-mapping file is invalid (the message names the rule and key)."""


class LocalModeRefused(RuntimeError):
    """Local mode (no identity provider) was asked for on a server reachable from other machines."""


@dataclass(frozen=True)
class Rule:
    """One line of the mapping: users whose ``claim`` holds ``value`` get ``role`` with a scope."""

    claim: str
    value: str
    role: str
    forces: tuple[str, ...] | None = None
    """Force codes; ``("*",)`` = every force in the store (cjs_manager and joim_viewer only)."""
    teams: tuple[str, ...] | None = None
    collar: str | None = None
    """An officer's collar number, for a rule that names one person (matched by e-mail, say)."""
    collar_claim: str | None = None
    """The claim holding the officer's collar number (e.g. Entra ``employeeid`` as an optional claim)."""
    name: str = ""

    def matches(self, claims: Mapping[str, Any]) -> bool:
        values = claims.get(self.claim)
        if values is None:
            return False
        if not isinstance(values, (list, tuple, set, frozenset)):
            values = [values]
        if self.claim in CASELESS_CLAIMS:
            return any(isinstance(v, str) and v.casefold() == self.value.casefold() for v in values)
        return any(str(v) == self.value for v in values if isinstance(v, (str, int)) and not isinstance(v, bool))


@dataclass(frozen=True)
class RoleMapping:
    rules: tuple[Rule, ...] = ()
    priority: tuple[str, ...] = DEFAULT_PRIORITY
    export_row_cap: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_EXPORT_ROW_CAP))
    user_claims: tuple[str, ...] = USER_CLAIMS

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoleMapping:
        """Build and check a mapping from parsed TOML (see docs/examples/roles.toml)."""
        unknown = set(data) - {"priority", "export_row_cap", "user_claims", "rule"}
        if unknown:
            raise MappingError(f"unknown key(s) in the role mapping: {', '.join(sorted(unknown))}")
        priority = tuple(data.get("priority", DEFAULT_PRIORITY))
        bad = [r for r in priority if r not in ROLES]
        if bad or len(set(priority)) != len(priority):
            raise MappingError(f"priority must list roles from {', '.join(ROLES)} once each; got {list(priority)}")
        caps = dict(DEFAULT_EXPORT_ROW_CAP)
        for role, cap in dict(data.get("export_row_cap", {})).items():
            if role not in ROLES:
                raise MappingError(f"export_row_cap: unknown role {role!r}")
            if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
                raise MappingError(f"export_row_cap.{role} must be a whole number of rows, 0 or more")
            caps[role] = cap
        user_claims = tuple(data.get("user_claims", USER_CLAIMS))
        if not user_claims or not all(isinstance(c, str) and c for c in user_claims):
            raise MappingError("user_claims must list claim names")
        raw_rules = data.get("rule", [])
        if not isinstance(raw_rules, list):
            raise MappingError("rules are written as [[rule]] tables")
        rules = tuple(_rule(i, r) for i, r in enumerate(raw_rules, 1))
        unlisted = sorted({r.role for r in rules} - set(priority))
        if unlisted:
            raise MappingError(f"role(s) {', '.join(unlisted)} have rules but are not in priority")
        return cls(rules, priority, caps, user_claims)

    @classmethod
    def load(cls, path: str | Path) -> RoleMapping:
        try:
            with Path(path).open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise MappingError(f"role mapping file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise MappingError(f"role mapping file {path}: {exc}") from None
        try:
            return cls.from_dict(data)
        except MappingError as exc:
            raise MappingError(f"role mapping file {path}: {exc}") from None


def _strings(rule: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise MappingError(f"{rule}: {key} must be a non-empty list of text")
    return tuple(v.strip() for v in value)


def _rule(index: int, raw: Any) -> Rule:
    label = f"rule {index}"
    if not isinstance(raw, dict):
        raise MappingError(f"{label} must be a table")
    label = f"rule {index}" + (f" ({raw['name']})" if isinstance(raw.get("name"), str) else "")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise MappingError(f"{label}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("claim", "value", "role"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise MappingError(f"{label}: '{key}' is required (text)")
    role = raw["role"]
    if role not in ROLES:
        raise MappingError(f"{label}: unknown role {role!r} (one of {', '.join(ROLES)})")
    scope_keys = set(raw) - {"claim", "value", "role", "name"}
    not_allowed = scope_keys - _ROLE_KEYS[role]
    if not_allowed:
        raise MappingError(f"{label}: a {role} rule cannot have {', '.join(sorted(not_allowed))}")
    forces = _strings(label, "forces", raw["forces"]) if "forces" in raw else None
    teams = _strings(label, "teams", raw["teams"]) if "teams" in raw else None
    if role != "administrator" and forces is None:
        raise MappingError(f"{label}: a {role} rule needs forces")
    if forces and WILDCARD in forces:
        if role not in ("cjs_manager", "joim_viewer") or forces != (WILDCARD,):
            raise MappingError(f"{label}: forces = \"*\" is only for cjs_manager and joim_viewer, on its own")
    if role == "section_leader" and teams is None:
        raise MappingError(f"{label}: a section_leader rule needs teams")
    collar, collar_claim = raw.get("collar"), raw.get("collar_claim")
    if role == "officer":
        if (collar is None) == (collar_claim is None):
            raise MappingError(f"{label}: an officer rule needs exactly one of collar or collar_claim")
        for key, value in (("collar", collar), ("collar_claim", collar_claim)):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise MappingError(f"{label}: {key} must be text")
    return Rule(claim=raw["claim"].strip(), value=raw["value"].strip(), role=role, forces=forces, teams=teams,
                collar=collar.strip() if collar else None, collar_claim=collar_claim.strip() if collar_claim else None,
                name=raw.get("name", "") or f"rule {index}")


@dataclass(frozen=True)
class Access:
    """What one signed-in user may do. Build with :func:`resolve`."""

    user: str
    """Stable user id for the audit log ("" when the claims carry none)."""
    role: str | None
    """One of ROLES; None = mapped to nothing (denied)."""
    scope: Scope
    """Server-side scope every query must be bound to; NOTHING when denied (never None)."""
    pseudonymise: bool
    """Names, URNs and other personal data must be masked (the JOIM view)."""
    can_export: bool
    export_row_cap: int
    can_load: bool
    can_read_audit: bool
    name: str = ""
    """Display name or e-mail from the claims (for the banner and the audit log)."""
    rule: str = ""
    """The mapping rule that granted the role (for the audit log's details)."""
    reason: str = ""
    """Why access was denied, in words a user can pass on to the service desk."""

    @property
    def allowed(self) -> bool:
        return self.role is not None

    @property
    def sees_case_data(self) -> bool:
        return self.role is not None and not self.scope.is_empty

    def audit_details(self) -> dict[str, Any]:
        """The role, rule and scope as ``details`` for an audit record."""
        return {
            "role": self.role, "rule": self.rule, "pseudonymised": self.pseudonymise,
            "scope": {"forces": list(self.scope.forces),
                      "teams": None if self.scope.teams is None else list(self.scope.teams),
                      "officers": None if self.scope.officers is None else list(self.scope.officers)},
        }


def deny(user: str = "", reason: str = "", name: str = "") -> Access:
    """No role, no scope, no powers."""
    return Access(user=user, role=None, scope=NOTHING, pseudonymise=True, can_export=False, export_row_cap=0,
                  can_load=False, can_read_audit=False, name=name, reason=reason)


def _first_claim(claims: Mapping[str, Any], names: Iterable[str]) -> str:
    for key in names:
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _scope(rule: Rule, claims: Mapping[str, Any], all_forces: Iterable[str] | None) -> Scope | str:
    """The rule's scope for these claims, or the reason it cannot be given."""
    if rule.role == "administrator":
        return NOTHING
    assert rule.forces is not None
    if rule.forces == (WILDCARD,):
        forces = tuple(sorted(set(all_forces or ())))
        if not forces:
            return "the rule grants every force in the store, but no force list was given"
    else:
        forces = tuple(sorted(set(rule.forces)))
    if rule.role == "officer":
        collar = rule.collar or _first_claim(claims, [rule.collar_claim or ""])
        if not collar:
            return f"the officer rule needs the collar number in the '{rule.collar_claim}' claim, which is missing"
        return Scope(forces, None, (collar,))
    return Scope(forces, tuple(sorted(set(rule.teams))) if rule.teams is not None else None, None)


def resolve(claims: Mapping[str, Any], mapping: RoleMapping, *, all_forces: Iterable[str] | None = None) -> Access:
    """The access of the user whose identity claims are ``claims`` (``st.user.to_dict()``).

    ``all_forces`` are the forces in the published store, used only by rules with
    ``forces = "*"``. Default deny: not signed in, no user id, or no rule that applies gives
    :func:`deny` with the reason.
    """
    name = _first_claim(claims, NAME_CLAIMS)
    if claims.get("is_logged_in") is False:
        return deny(reason="not signed in", name=name)
    user = _first_claim(claims, mapping.user_claims)
    if not user:
        return deny(reason=f"the identity token carries none of the claims {', '.join(mapping.user_claims)}",
                    name=name)
    granted: dict[str, tuple[Rule, Scope]] = {}
    refused: list[str] = []
    for rule in mapping.rules:
        if rule.role in granted or not rule.matches(claims):
            continue
        scope = _scope(rule, claims, all_forces)
        if isinstance(scope, str):
            refused.append(f"{rule.name}: {scope}")
            continue
        granted[rule.role] = (rule, scope)
    if not granted:
        reason = "; ".join(refused) if refused else "your account is not mapped to a Casewatch role"
        return deny(user, reason, name)
    role = next(r for r in mapping.priority if r in granted)
    rule, scope = granted[role]
    cap = int(mapping.export_row_cap.get(role, 0))
    return Access(
        user=user, role=role, scope=scope,
        pseudonymise=role == "joim_viewer",
        can_export=cap > 0 and role != "administrator",
        export_row_cap=cap if role != "administrator" else 0,
        can_load=role == "administrator",
        can_read_audit=role == "administrator",
        name=name, rule=rule.name,
    )


# -- local mode -----------------------------------------------------------------------------
LOCAL_BANNER = (
    "LOCAL MODE: signed in as {user} ({role}) without an identity provider. Only this computer "
    "can reach this dashboard. Use it with synthetic data only; a force deployment signs users in "
    "through its identity provider (docs/access.md)."
)


def is_loopback(address: str | None) -> bool:
    """Whether a server bound to ``address`` is reachable only from this computer. Unset or empty
    means every interface (Streamlit's default), so it is not loopback."""
    if not address:
        return False
    host = address.strip().strip("[]")
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_local_mode(address: str | None) -> None:
    """Refuse local mode unless the server is bound to a loopback address."""
    if not is_loopback(address):
        raise LocalModeRefused(
            f"local mode (no identity provider) needs the server bound to localhost, but server.address is "
            f"{address or 'unset (every network interface)'}: start it with bin/dashboard or "
            "'streamlit run dashboard.py --server.address localhost', or configure sign-in (docs/access.md)")


def local_claims(user: str, role: str) -> dict[str, Any]:
    """The claims local mode signs the named local identity in with."""
    return {"is_logged_in": True, "sub": user, "name": user, "email": user, "roles": [role], "casewatch_local": True}


def local_mapping(role: str) -> RoleMapping:
    """The built-in mapping of local mode: the local identity gets ``role`` over every force in
    the store. An officer or section leader needs a collar or teams, so local mode with those
    roles uses a mapping file with a rule for the local user (docs/access.md)."""
    if role not in ROLES:
        raise MappingError(f"unknown local role {role!r} (one of {', '.join(ROLES)})")
    if role in ("officer", "section_leader"):
        raise MappingError(f"local mode as {role} needs a roles_file with a rule for the local user")
    raw: dict[str, Any] = {"claim": "roles", "value": role, "role": role, "name": "local mode"}
    if role != "administrator":
        raw["forces"] = [WILDCARD]
    return RoleMapping.from_dict({"rule": [raw]})


def mapping_for(settings: Settings) -> RoleMapping:
    """The role mapping the settings name: ``roles_file`` if set; otherwise, in local mode, the
    built-in local mapping, and with sign-in an empty mapping (everyone is denied until a
    mapping file is configured: default deny)."""
    if settings.roles_file is not None:
        return RoleMapping.load(settings.roles_file)
    if settings.auth_mode == "local":
        return local_mapping(settings.local_role)
    return RoleMapping()


def local_access(settings: Settings, address: str | None, *, all_forces: Iterable[str] | None = None) -> Access:
    """The access of local mode's named identity; raises :class:`LocalModeRefused` unless the
    server is bound to a loopback ``address`` (the UI shows :data:`LOCAL_BANNER` on every page)."""
    if settings.auth_mode != "local":
        raise LocalModeRefused("local mode is off (auth_mode is not 'local')")
    check_local_mode(address)
    claims = local_claims(settings.local_user, settings.local_role)
    return resolve(claims, mapping_for(settings), all_forces=all_forces)


def local_banner(access: Access) -> str:
    return LOCAL_BANNER.format(user=access.user or "?", role=ROLE_LABELS.get(access.role or "", "no role"))
