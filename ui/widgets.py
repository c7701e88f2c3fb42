"""Small Streamlit helpers every page shares: chart-and-table twins, the row reconciliation, band
and light columns, and the product's own export button.

Keep page code to "read filters, call one function, render": anything two pages would write twice
belongs here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from io import BytesIO

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.export import ExportSheet, write_report_xlsx
from core.ngap import LIGHT_LABELS
from ui import data
from ui.format import BAND_LABELS


def chart_and_table(
    fig: go.Figure,
    table: pd.DataFrame,
    *,
    key: str,
    column_config: dict | None = None,
    select: bool = True,
) -> list[dict]:
    """Show a chart and its table twin in tabs; return the points the user selected on the chart."""
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    selected: list[dict] = []
    with chart_tab:
        if select:
            event = st.plotly_chart(fig, key=key, on_select="rerun", selection_mode=("points", "box"))
            selected = list(event.selection.points) if event and event.selection else []
        else:
            st.plotly_chart(fig, key=key)
    with table_tab:
        st.dataframe(table, hide_index=True, column_config=column_config, key=f"{key}_table")
    return selected


def reconcile(title: str, in_scope: int, shown: int, excluded: Sequence[tuple[str, int]]) -> None:
    """The page's row count reconciliation: rows in the extract (in scope) = shown + each exclusion."""
    total_excluded = sum(n for _, n in excluded)
    ok = in_scope == shown + total_excluded
    icon = "✅" if ok else "⚠️"
    with st.expander(f"{icon} Row counts: {shown:,} of {in_scope:,} {title} shown", expanded=not ok):
        rows = [("In the extracts, within your scope", in_scope), ("Shown on this page", shown)]
        rows += [(f"Not shown: {why}", n) for why, n in excluded]
        st.dataframe(pd.DataFrame(rows, columns=["", "rows"]), hide_index=True,
                     column_config={"rows": st.column_config.NumberColumn(format="%d")})
        if not ok:
            st.warning(f"{in_scope - shown - total_excluded:,} rows are unaccounted for: please report this.")


def band_text(series: pd.Series) -> pd.Series:
    """STL band codes as text with an icon (never colour alone)."""
    return series.map(lambda b: BAND_LABELS.get(b, b))


def light_text(series: pd.Series) -> pd.Series:
    """NGAP light codes as text with an icon."""
    return series.map(lambda x: LIGHT_LABELS.get(x, x))


def export_button(
    label: str,
    sheets: Callable[[], Sequence[ExportSheet]],
    *,
    file_name: str,
    title: str,
    as_of,
    key: str,
) -> None:
    """The product's own XLSX export (marked, formula-escaped), built only when clicked."""

    def build() -> bytes:
        buf = BytesIO()
        write_report_xlsx(list(sheets()), buf, marking=data.settings().marking, title=title, as_of=as_of,
                          generated_at=datetime.now(UTC))
        return buf.getvalue()

    st.download_button(
        label, data=build, file_name=file_name, key=key, icon="📥",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore",
    )
