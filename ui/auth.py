"""Who is looking: sign-in, the role and scope of this session, and the audit trail of what they see
and take away.

* **Sign-in.** With ``auth_mode = "oidc"`` users sign in through the force's identity provider
  (``st.login``; ``.streamlit/secrets.toml``, docs/access.md). With the default ``"local"`` the
  named local identity is used, bannered on every page, and refused unless the server is bound to
  a loopback address (``core.access.check_local_mode``).
* **Role and scope** come from ``core.access.resolve``: default deny, scope applied server side.
  The sidebar filters can only narrow it (``core.scope.Scope.narrow``) and every cached query is
  keyed by the narrowed scope (``ui.data``), so two users never share a result.
* **Audit** (DPA 2018 s.62, ``core.audit``): sign-in, every page consultation with its filters
  and scope, every export with its recipient and purpose, and every refused access. If the log
  cannot be written the page shows no data (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import streamlit as st

from core import access as core_access
from core.access import Access, LocalModeRefused
from core.audit import AuditError, AuditLog
from ui import data, joim

_ACCESS = "_access"
_SIGNED_IN = "_audit_signed_in"
_LAST_CONSULT = "_audit_last_consult"
_DENIED = "_audit_denied"


@st.cache_resource(max_entries=4)
def _mapping(path: str | None, mtime: float, auth_mode: str, local_role: str) -> core_access.RoleMapping:
    """The role mapping, re-read when the file changes (cached by its modification time)."""
    return core_access.mapping_for(data.settings())


@st.cache_resource
def _sign_ins() -> set[tuple[str, str]]:
    """Sign-ins already logged by this server process (user, token issue time)."""
    return set()


def _audit() -> AuditLog:
    return AuditLog(data.settings().audit_file)


def log(acc: Access, action: str, what: str, details: Mapping[str, Any] | None = None) -> None:
    """Write one audit record for this viewer; raises AuditError if it cannot be written. Safe to
    call outside a script run (an export's file is built in its own request)."""
    _audit().record(acc.user or "anonymous", acc.role, action, what, dict(details or {}), now=datetime.now(UTC))


def record(acc: Access, action: str, what: str, details: Mapping[str, Any] | None = None) -> None:
    """Write one audit record for this viewer; on failure stop the page (no unlogged access)."""
    try:
        log(acc, action, what, details)
    except AuditError as exc:
        st.error(f"The audit log cannot be written, so no data is shown: {exc}. Tell the administrator.")
        st.stop()


def _claims() -> dict[str, Any] | None:
    """The identity provider's claims, or None when nobody is signed in (OIDC mode)."""
    if not st.user.is_logged_in:
        return None
    return dict(st.user.to_dict())


LOCAL_ROLES = ("cjs_manager", "joim_viewer", "administrator")


def _local_role(default: str) -> str:
    """Local mode only (one person on their own computer, synthetic data): the role the local
    identity acts in, chosen in the sidebar and kept in the link (``?local_role=administrator``),
    so a newcomer can try every role. Officer and section-leader roles need a roles_file."""
    options = list(LOCAL_ROLES) if default in LOCAL_ROLES else [default, *LOCAL_ROLES]
    with st.sidebar:
        chosen = st.selectbox("Local mode: act as", options, index=options.index(default),
                              key="local_role",
                              bind="query-params",
                              help="Local mode has no sign-in; pick the role to try. Every action is still "
                                   "written to the audit log under the local identity.")
    return chosen if chosen in options else default


def _sign_in_screen() -> None:
    st.title("Casewatch")
    st.write("Sign in with your force account to see case data. What you can see depends on your role.")
    st.button("Sign in", icon="🔐", on_click=st.login, key="sign_in", type="primary")
    st.stop()


def current(gen: str | None) -> Access:
    """This session's access (resolved on every run: a changed mapping file or a newly loaded force
    applies at once). Stops the page with a clear message when the viewer may see nothing."""
    settings = data.settings()
    forces = data.all_forces(gen) if gen else ()
    roles_file = settings.roles_file
    mtime = roles_file.stat().st_mtime if roles_file and Path(roles_file).exists() else 0.0
    if settings.auth_mode == "local":
        try:
            core_access.check_local_mode(st.get_option("server.address"))
        except LocalModeRefused as exc:
            st.error(str(exc))
            st.stop()
        role = settings.local_role if roles_file else _local_role(settings.local_role)
        claims: dict[str, Any] | None = core_access.local_claims(settings.local_user, role)
    else:
        claims = _claims()
        if claims is None:
            _sign_in_screen()
    try:
        if settings.auth_mode == "local" and not roles_file:
            mapping = core_access.local_mapping(role)
        else:
            mapping = _mapping(str(roles_file) if roles_file else None, mtime, settings.auth_mode, settings.local_role)
    except (core_access.MappingError, OSError) as exc:
        st.error(f"The role mapping cannot be read, so nobody can be given access: {exc}")
        st.stop()
    acc = core_access.resolve(claims or {}, mapping, all_forces=forces)
    st.session_state[_ACCESS] = acc
    if not st.session_state.get(_SIGNED_IN) and acc.allowed:
        # One record per sign-in, not per browser tab or page load: an identity token's issue time
        # tells a new sign-in from a new session of the same one (local mode: once per server run).
        key = (acc.user, str((claims or {}).get("iat", "local")))
        seen = _sign_ins()
        if key not in seen:
            record(acc, "sign_in", "local mode" if settings.auth_mode == "local" else "identity provider",
                   acc.audit_details())
            seen.add(key)
        st.session_state[_SIGNED_IN] = True
    if not acc.allowed and gen is None and claims is not None:
        # Nothing is loaded yet, so a role over "every force in the store" has no force to grant:
        # the entry point says how to load data instead of refusing the user.
        return acc
    if not acc.allowed:
        if not st.session_state.get(_DENIED):
            record(acc, "deny", "sign-in", {"reason": acc.reason})
            st.session_state[_DENIED] = True
        st.title("Casewatch")
        st.error(f"You are signed in but have no access to Casewatch: {acc.reason}. Ask your administrator "
                 "to add your account to the role mapping.")
        if settings.auth_mode != "local":
            st.button("Sign out", on_click=st.logout, key="sign_out")
        st.stop()
    joim.force(acc.pseudonymise)
    if settings.auth_mode == "local":
        st.warning(core_access.local_banner(acc), icon="🏠")
    return acc


def get() -> Access:
    """The access resolved by the entry point for this run (pages call this)."""
    acc = st.session_state.get(_ACCESS)
    if acc is None:
        return core_access.deny(reason="the page was opened without the entry point")
    return acc


def consulted(page: str, filters: Any, acc: Access) -> None:
    """Log a consultation when the viewer opens a page or changes what it shows (filters or scope);
    plain reruns of the same view (a sort, a tab) are not logged again."""
    view = {
        "page": page,
        "as_of": filters.as_of.isoformat(),
        "period": [filters.period[0].isoformat(), filters.period[1].isoformat()],
        "scope": {"forces": list(filters.scope.forces),
                  "teams": None if filters.scope.teams is None else list(filters.scope.teams),
                  "officers": None if filters.scope.officers is None else list(filters.scope.officers)},
        "pseudonymised": joim.active(),
        "generation": Path(filters.generation).name,
    }
    if st.session_state.get(_LAST_CONSULT) == view:
        return
    record(acc, "consult", page, view)
    st.session_state[_LAST_CONSULT] = view


def refuse(acc: Access, what: str, reason: str) -> None:
    """Log and show a refused action, then stop the page."""
    record(acc, "deny", what, {"reason": reason})
    st.error(f"Not available to your role: {reason}.")
    st.stop()
