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
from ui import data, joim
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


def print_layout_css(prefix: str, hide: str) -> None:
    """Print styles for a page's "Print layout": the containers keyed ``<prefix>_marking_top`` and
    ``<prefix>_marking_bottom`` hold the protective marking, ``hide`` (a container key) and the app's
    chrome are left off paper, and tables break cleanly across pages. Keys are the page's own
    constants, never data."""
    st.markdown(
        "<style>"
        f".st-key-{prefix}_marking_top, .st-key-{prefix}_marking_bottom {{ text-align: center; font-weight: 700; "
        "letter-spacing: .08em; }"
        "@media print { @page { margin: 12mm; } "
        'section[data-testid="stSidebar"], header[data-testid="stHeader"], div[data-testid="stToolbar"], '
        'div[data-testid="stDecoration"], div[data-testid="stStatusWidget"], '
        f".st-key-{hide} {{ display: none !important; }} "
        'div[data-testid="stMainBlockContainer"], .block-container { padding: 0 !important; max-width: 100% !important; } '
        "table { font-size: 9pt; page-break-inside: auto; } thead { display: table-header-group; } "
        "tr, td, th { page-break-inside: avoid; } h2, h3 { page-break-after: avoid; } }"
        "</style>",
        unsafe_allow_html=True,
    )


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
    """The product's own XLSX export: marked, formula-escaped, capped by role and logged.

    Streamlit's own table download is switched off (``client.disableDataExport``); this is the only
    way personal data leaves the dashboard. The viewer names the recipient and the purpose (DPA 2018
    s.62(3): a disclosure log identifies the recipients); the file is built only when the button is
    pressed, and the disclosure is written to the audit log before the bytes are handed over. If the
    log cannot be written, there is no file.
    """
    from ui import auth  # ui.auth imports this module's neighbours; imported late to avoid a cycle

    acc = auth.get()
    if not acc.can_export:
        st.caption("🔒 Exports are not available to your role.")
        return
    built = list(sheets())
    rows = sum(len(s.df) for s in built)
    with st.popover(label, icon="📥"):
        if rows > acc.export_row_cap:
            st.warning(f"This export has {rows:,} rows; your role may export at most {acc.export_row_cap:,}. "
                       "Narrow the filters first.")
            return
        recipient = st.text_input("Recipient", value=acc.name or acc.user, key=f"{key}_recipient",
                                  help="Who will receive the file: you, or the named person or organisation. "
                                       "Recorded in the audit log with the purpose.")
        purpose = st.text_input("Purpose", key=f"{key}_purpose", placeholder="e.g. JOIM 25/11 action list")
        ready = bool(recipient.strip()) and bool(purpose.strip())
        marking = data.settings().marking
        details = {"recipient": recipient.strip(), "purpose": purpose.strip(), "rows": rows,
                   "sheets": [s.name for s in built], "file_name": file_name, "as_of": str(as_of),
                   "pseudonymised": joim.active(), "marking": marking}

        def build() -> bytes:
            # Logged first: no record, no file.
            auth.log(acc, "disclose", f"export: {title}", details)
            buf = BytesIO()
            write_report_xlsx(built, buf, marking=marking, title=title, as_of=as_of,
                              generated_at=datetime.now(UTC))
            return buf.getvalue()

        st.caption(f"{rows:,} rows, marked {marking}. Formulas are neutralised.")
        st.download_button(
            "Download XLSX", data=build, file_name=file_name, key=key, icon="📥", disabled=not ready,
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore",
            help=None if ready else "Name the recipient and the purpose first.",
        )
