"""The dashboard's access to the store: one read-only connection per published generation, and
cached query results keyed by generation, scope and as-of date.

Only this module caches. Every cached function takes the generation name and the viewer's scope
as arguments, so a new load invalidates results without a manual clear and two scopes never
share an entry. Core query functions stay undecorated.
"""

from __future__ import annotations

import hashlib
import importlib
import pickle
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from core import queries
from core.config import Settings
from core.scope import Scope
from core.store import NoData, Store


@st.cache_resource
def settings() -> Settings:
    return Settings.load()


def store() -> Store:
    return Store(settings().store_dir)


@st.cache_resource(max_entries=3)
def _connection(generation: str) -> duckdb.DuckDBPyConnection:
    return store().connect_read(Path(generation))


def generation() -> str | None:
    """The published generation's path, read from the pointer on every run (a cheap file read)."""
    try:
        return str(store().current())
    except NoData:
        return None


def connection(gen: str) -> duckdb.DuckDBPyConnection:
    return _connection(gen)


def _scope(
    forces: tuple[str, ...], teams: tuple[str, ...] | None, officers: tuple[str, ...] | None = None
) -> Scope:
    return Scope(forces, teams, officers)


def q(fn: Callable[..., Any], f: Any, **kwargs: Any) -> Any:
    """Run a core query function ``fn(con, scope, as_of, thresholds, **kwargs)`` for the filters ``f``,
    cached by function, generation, scope, as-of date and arguments (which must be hashable).

    Pages call this instead of writing their own cache wrappers; only functions in ``core`` may
    be run this way. In JOIM mode the result comes back pseudonymised (``ui.joim.present``).
    """
    from ui import joim  # ui.joim imports nothing from here; imported late to keep start-up light

    path = f"{fn.__module__}:{fn.__qualname__}"
    # In JOIM mode a selection made on a masked table arrives as pseudonyms: turn them back into
    # the real keys before querying, and mask the result on the way out. The cache holds real values
    # (server side only) keyed by the real arguments, so masking never splits or pollutes it.
    kwargs = joim.unmask(kwargs)
    officers = joim.unmask(f.scope.officers)
    result = _cached(path, f.generation, f.scope.forces, f.scope.teams, officers, f.as_of,
                     tuple(sorted(kwargs.items())))
    return joim.present(result)


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(
    path: str,
    gen: str,
    forces: tuple[str, ...],
    teams: tuple[str, ...] | None,
    officers: tuple[str, ...] | None,
    as_of: date,
    kwargs: tuple[tuple[str, Any], ...],
) -> Any:
    module, name = path.split(":")
    if not module.startswith("core."):
        raise ValueError(f"only core query functions can be cached this way, not {path}")
    fn = getattr(importlib.import_module(module), name)
    return fn(connection(gen), _scope(forces, teams, officers), as_of, settings().thresholds, **dict(kwargs))


@st.cache_resource(max_entries=64, show_spinner=False)
def _people_in_scope(
    gen: str, forces: tuple[str, ...], teams: tuple[str, ...] | None, officers: tuple[str, ...] | None
) -> pd.DataFrame:
    """The teams and officers the viewer's scope holds. Shared between sessions of the same scope
    and only ever read (see sidebar_choices)."""
    return queries.forces_and_teams(connection(gen), Scope(forces, teams, officers))


@st.cache_resource(max_entries=256, show_spinner=False)
def sidebar_choices(
    gen: str, forces: tuple[str, ...], teams: tuple[str, ...] | None, officers: tuple[str, ...] | None,
    chosen_teams: tuple[str, ...],
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The sidebar's choices for a scope (keyed by generation and scope, as every cached query) and
    the teams chosen in it: the team options, the officers' ids in those teams and their labels
    (collar number and name), all sorted, as immutable tuples.

    Held once per server rather than copied out of ``st.cache_data`` on every rerun: the lists
    run to thousands of officers at a large force. Pseudonymised labels (JOIM mode) are not held
    here; ``ui.filters`` makes them per session.
    """
    people = _people_in_scope(gen, forces, teams, officers)
    team_options = tuple(sorted(people["team"].dropna().unique().tolist()))
    in_teams = people if not chosen_teams else people[people["team"].isin(chosen_teams)]
    in_teams = in_teams.dropna(subset=["oic_id"]).drop_duplicates("oic_id")
    names = dict(zip(in_teams["oic_id"], in_teams["oic_name"], strict=True))
    ids = tuple(sorted(in_teams["oic_id"].tolist()))
    labels = tuple(f"{oic} · {names[oic]}" if names.get(oic) else oic for oic in ids)
    return team_options, ids, labels


@st.cache_data(max_entries=8, show_spinner=False)
def all_forces(gen: str) -> tuple[str, ...]:
    cur = connection(gen).cursor()
    try:
        rows = cur.execute(
            "SELECT DISTINCT force_code FROM (SELECT force_code FROM case_offences "
            "UNION SELECT force_code FROM custody) ORDER BY 1"
        ).fetchall()
    finally:
        cur.close()
    return tuple(r[0] for r in rows)


@st.cache_data(max_entries=8, show_spinner=False)
def data_as_of(gen: str) -> pd.DataFrame:
    return queries.data_as_of(connection(gen))


@st.cache_data(max_entries=256, show_spinner=False)
def home_counts(
    gen: str, forces: tuple[str, ...], teams: tuple[str, ...] | None, officers: tuple[str, ...] | None,
    as_of: date,
) -> dict[str, object]:
    con = connection(gen)
    scope = _scope(forces, teams, officers)
    t = settings().thresholds
    return {
        "bands": queries.stl_band_counts(con, scope, as_of, t),
        "queue": queries.cjs_queue_length(con, scope, as_of, t),
        "reviews": queries.review_counts(con, scope, as_of, t),
        "ngap": queries.ngap_light_counts(con, scope, as_of, t),
    }


def figure(builder: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``builder(*args, **kwargs)``, built once per distinct input and then shared.

    Building a plotly figure is pure Python work that every rerun would repeat on the same data.
    The cache key is the builder and a digest of the pickled arguments (the data itself, so two
    views with the same numbers share one figure and any change in the data builds a new one).
    Only ``core`` builders are accepted: they are pure functions of their arguments. The figure is
    shared, never copied: callers pass it straight to ``st.plotly_chart``, which does not change it.
    """
    path, digest = _key(builder, args, kwargs)
    return builder(*args, **kwargs) if digest is None else _figure(path, digest, args, kwargs)


def derived(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` for a pure ``core`` helper that reshapes query results (pivots,
    groupings, labels), computed once per distinct input. Keyed like ``figure``; unlike a figure
    the result comes back as the caller's own copy (``st.cache_data``), so pages may change it."""
    path, digest = _key(fn, args, kwargs)
    return fn(*args, **kwargs) if digest is None else _derived(path, digest, args, kwargs)


def _key(fn: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[str, str | None]:
    """The cache key of a pure core function and its arguments: its dotted path and a digest of the
    pickled arguments (None when they cannot be pickled: then nothing is cached)."""
    path = f"{fn.__module__}:{fn.__qualname__}"
    if not path.startswith("core."):
        raise ValueError(f"only pure core functions can be cached this way, not {path}")
    try:
        blob = pickle.dumps((args, sorted(kwargs.items())), protocol=5)
    except Exception:  # noqa: BLE001 - unpicklable arguments: computed fresh every time
        return path, None
    return path, hashlib.blake2b(blob, digest_size=20).hexdigest()


def _call(path: str, args: tuple, kwargs: dict) -> Any:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)(*args, **kwargs)


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(path: str, digest: str, _args: tuple, _kwargs: dict) -> Any:
    # _args and _kwargs are not hashed (leading underscore): ``digest`` stands for them.
    return _call(path, _args, _kwargs)


@st.cache_data(max_entries=512, show_spinner=False)
def _derived(path: str, digest: str, _args: tuple, _kwargs: dict) -> Any:
    return _call(path, _args, _kwargs)
