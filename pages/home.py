"""Overview: headline counts for the chosen scope and as-of date."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.charts import category_bar
from core.ngap import LIGHT_COLOURS, LIGHT_ORDER
from core.stl import BAND_ORDER
from ui import auth, data, filters
from ui.format import BAND_COLOURS, BAND_LABELS, LIGHT_LABELS, REVIEW_LABELS

f = filters.current()
st.title("Overview")
if not auth.get().sees_case_data:
    # The administrator's role loads data and reads the audit log; it carries no case data.
    st.info("Your role sees no case data. Load extracts and review data quality on the Data page; "
            "review who saw and exported what on the Audit log page.", icon="🛠️")
    st.page_link("pages/data.py", label="Data", icon="🗂️")
    st.page_link("pages/audit.py", label="Audit log", icon="🔏")
    st.stop()
st.caption(f"As of {f.as_of:%A %d %B %Y}. Counts are cases (URN and defendant) unless stated.")

counts = data.home_counts(f.generation, *f.scope_key, f.as_of)
bands: pd.DataFrame = counts["bands"]
band_n = dict(zip(bands["band"], bands["cases"], strict=True))

st.subheader("Open cases by statutory time limit")
# Two rows of at most four, so labels and figures stay whole at 1280 px as well as on a 1920 px screen.
for row in (BAND_ORDER[:4], BAND_ORDER[4:]):
    for col, band in zip(st.columns(4), row, strict=False):
        col.metric(BAND_LABELS[band], f"{band_n.get(band, 0):,}", border=True)

full = pd.DataFrame({"band": list(BAND_ORDER), "cases": [band_n.get(b, 0) for b in BAND_ORDER]})
chart, table = st.tabs(["Chart", "Table"])
with chart:
    st.plotly_chart(
        data.figure(category_bar, full, "band", "cases", BAND_LABELS, BAND_COLOURS, "Cases by STL band", "cases"),
        key="home_band_chart",
    )
with table:
    st.dataframe(
        full.assign(band=full["band"].map(BAND_LABELS)),
        hide_index=True,
        column_config={"band": "Band", "cases": st.column_config.NumberColumn("Cases", format="%d")},
    )

left, mid, right = st.columns(3)
with left:
    st.subheader("CJS queue")
    st.metric("Files in the CJS queue", f"{counts['queue']:,}", border=True,
              help="Submitted to CJS on or before the as-of date and not yet finished (charged, a final "
                   "CPS decision, decided or closed): awaiting triage, accepted, with CPS, under an action "
                   "plan or resubmitted. The Submission queue page breaks it down.")
with mid:
    st.subheader("28-day reviews")
    reviews = counts["reviews"]
    rv = dict(zip(reviews["status"], reviews["investigations"], strict=True))
    for status in ("OVERDUE", "DUE"):
        st.metric(REVIEW_LABELS[status], f"{rv.get(status, 0):,}", border=True)
with right:
    st.subheader("NGAP upgrade files")
    ngap = counts["ngap"]
    lights = dict(zip(ngap["light"], ngap["cases"], strict=True))
    ngap_full = pd.DataFrame({"light": list(LIGHT_ORDER), "cases": [lights.get(x, 0) for x in LIGHT_ORDER]})
    st.plotly_chart(
        data.figure(category_bar, ngap_full, "light", "cases", LIGHT_LABELS, LIGHT_COLOURS, "NGAP cases by light", "cases"),
        key="home_ngap_chart",
    )
    st.dataframe(ngap_full.assign(light=ngap_full["light"].map(LIGHT_LABELS)), hide_index=True,
                 column_config={"light": "Light", "cases": "Cases"})
