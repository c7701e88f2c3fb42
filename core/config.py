"""Settings: where the store lives, the thresholds rules use, the protective marking.

Defaults make a fresh clone work on the bundled synthetic sample data. A force overrides them in
a TOML file named by ``CASEWATCH_CONFIG`` (see ``casewatch.example.toml``); the store location can
also be set with ``CASEWATCH_STORE``. Nothing here reads the clock.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from importlib import import_module
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_data"
DEFAULT_STORE = ROOT / "var" / "store"
AUTH_MODES = ("local", "oidc")


@dataclass(frozen=True)
class Thresholds:
    """Band and work-queue thresholds, in calendar days. Local policy, not law (domain.md R12, R13)."""

    red_days_unsubmitted: int = 14
    """RED when the STL is this many days away or fewer and no file has been submitted."""
    red_days_uncharged: int = 7
    """RED when the STL is this many days away or fewer and proceedings have not been commenced."""
    amber_days_unsubmitted: int = 42
    """AMBER when the STL is this many days away or fewer and no file has been submitted."""
    insight_days: int = 42
    """The Insight report lists unsubmitted open cases whose STL falls within this many days."""
    review_period_days: int = 28
    """Supervisory review interval (force policy; 28 days is common practice, R13)."""
    review_due_soon_days: int = 7
    """A review is 'due' when it falls within this many days."""
    ngap_due_soon_days: int = 7
    """An NGAP upgrade file is 'due soon' when its due date falls within this many days."""


@dataclass(frozen=True)
class Settings:
    store_dir: Path = DEFAULT_STORE
    sample_dir: Path = SAMPLE_DIR
    offence_index: Path | None = None
    """Optional path to the full CJS Offence Index (standing-data CSV) a force holds."""
    column_mapping: Path | None = None
    """Optional force column-mapping file (see docs/extracts.md)."""
    marking: str = "OFFICIAL-SENSITIVE"
    thresholds: Thresholds = field(default_factory=Thresholds)
    extra_closures: tuple[str, ...] = ()
    """Extra non-working days (ISO dates), e.g. a local court closure."""
    max_quarantine_share: float = 0.2
    """A file with a larger share of unusable rows is refused whole: it is probably the wrong file."""
    max_rows_per_file: int = 10_000_000
    """A file with more rows than this is refused before it is checked (a runaway export or a
    hostile upload must not exhaust the server; a force-year is tens of thousands of rows)."""
    keep_generations: int = 5
    """Published generations kept on disk (the newest is served)."""
    audit_path: Path | None = None
    """The audit log (JSON Lines, hash-chained, head file beside it; docs/access.md). By default
    ``audit/audit.jsonl`` beside the store folder (``var/audit`` for ``var/store``), outside the
    data generations so loads and retention purges never touch it; use ``audit_file``."""
    roles_file: Path | None = None
    """The role-mapping file (TOML) from identity claims to roles and scopes (docs/access.md,
    docs/examples/roles.toml). With sign-in and no file, every user is denied."""
    auth_mode: str = "local"
    """``oidc``: users sign in through the force's identity provider (st.login, secrets.toml).
    ``local``: no identity provider; the named local identity below, bannered, refused unless
    the server is bound to localhost. For synthetic data and a first look only."""
    local_user: str = "local.user"
    """Local mode's user id (recorded as the actor in the audit log)."""
    local_role: str = "cjs_manager"
    """Local mode's role: cjs_manager, joim_viewer or administrator (officer and section_leader
    need a ``roles_file`` rule for the local user)."""
    stale_after_hours: int = 36
    """Data older than this many hours is stale: every page shows a banner (core.freshness)."""
    upload_max_mb: int = 200
    """Data page: largest extract file accepted in the browser, in MB (never above the server's
    ``server.maxUploadSize``, which caps every upload)."""
    load_timeout_seconds: int = 900
    """Data page: a browser upload's load is stopped after this many seconds (wall clock)."""
    load_memory_mb: int = 8192
    """Data page: address-space limit of the separate load process, in MB (RLIMIT_AS)."""
    load_cpu_seconds: int = 900
    """Data page: CPU-time limit of the separate load process, in seconds (RLIMIT_CPU)."""
    load_max_output_mb: int = 10240
    """Data page: largest file the load process may write, in MB (RLIMIT_FSIZE; the new generation)."""
    history_days: int = 400
    """Each load is also kept as a dated snapshot while it is within this many days of the newest
    load (the newest ``keep_generations`` are kept whatever their age); see ``core.history``."""
    sections: dict[str, Any] = field(default_factory=dict)
    """Page settings read from their own TOML tables (see PAGE_SECTIONS); use ``section()``."""

    def __post_init__(self) -> None:
        from core.access import ROLES

        if self.auth_mode not in AUTH_MODES:
            raise ValueError(f"auth_mode must be one of {', '.join(AUTH_MODES)}, not {self.auth_mode!r}")
        if self.local_role not in ROLES:
            raise ValueError(f"local_role must be one of {', '.join(ROLES)}, not {self.local_role!r}")

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Settings:
        """Read settings from ``path`` (or ``$CASEWATCH_CONFIG``), then apply ``$CASEWATCH_STORE``."""
        path = path or os.environ.get("CASEWATCH_CONFIG")
        settings = cls()
        if path:
            settings = settings.merged(_read_toml(Path(path)), base_dir=Path(path).resolve().parent)
        store = os.environ.get("CASEWATCH_STORE")
        if store:
            settings = replace(settings, store_dir=Path(store))
        audit = os.environ.get("CASEWATCH_AUDIT")
        if audit:
            settings = replace(settings, audit_path=Path(audit))
        return settings

    @property
    def audit_file(self) -> Path:
        """The audit log's path: ``audit_path`` if set, else ``audit/audit.jsonl`` beside the store."""
        return self.audit_path or self.store_dir.parent / "audit" / "audit.jsonl"

    def section(self, name: str) -> Any:
        """A page's settings dataclass: from the settings file if it had the table, else defaults."""
        if name not in self.sections:
            return _section_class(name)()
        return self.sections[name]

    def merged(self, data: dict[str, Any], base_dir: Path = ROOT) -> Settings:
        data = dict(data)
        sections = dict(self.sections)
        for name in PAGE_SECTIONS:
            if name in data:
                sections[name] = _merge_section(name, self.section(name), data.pop(name))
        known = {f.name for f in fields(self)} - {"sections"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        changes: dict[str, Any] = {}
        for key, value in data.items():
            current = getattr(self, key)
            if is_dataclass(current):
                changes[key] = _merge_section(key, current, value)
            elif key in ("store_dir", "sample_dir", "offence_index", "column_mapping", "audit_path", "roles_file"):
                p = Path(value)
                changes[key] = p if p.is_absolute() else base_dir / p
            elif key == "extra_closures":
                changes[key] = tuple(str(v) for v in value)
            else:
                changes[key] = value
        return replace(self, **changes, sections=sections)


PAGE_SECTIONS = {
    "stl_watch": "core.stl_watch:WatchSettings",
    "ngap_tracker": "core.ngap:NgapTrackerRules",
    "my_team": "core.my_team:MyTeamConfig",
    "queue": "core.queue:QueuePolicy",
    "changes": "core.changes:ChangesSettings",
    "joim": "core.joim:JoimSettings",
    "data_page": "core.data_quality:DataPageSettings",
    "quality": "core.quality:QualitySettings",
}
"""Settings tables owned by a page's own core module (imported lazily: those modules import this one)."""


def _section_class(name: str) -> Any:
    module, cls = PAGE_SECTIONS[name].split(":")
    return getattr(import_module(module), cls)


def _merge_section(name: str, current: Any, values: dict[str, Any]) -> Any:
    """Apply a TOML table to a settings dataclass, refusing unknown keys and coercing to each
    field's type (ints stay ints, tuples stay tuples), so a typo cannot pass silently."""
    if not isinstance(values, dict):
        raise ValueError(f"[{name}] must be a table")
    known = {f.name for f in fields(current)}
    bad = set(values) - known
    if bad:
        raise ValueError(f"unknown [{name}] setting(s): {', '.join(sorted(bad))}")
    changes = {}
    for key, value in values.items():
        kind = type(getattr(current, key))
        changes[key] = tuple(value) if kind is tuple else kind(value)
    return replace(current, **changes)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ValueError(f"settings file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"settings file {path}: {exc}") from None
