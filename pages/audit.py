"""Audit log (administrators): search who consulted, exported, loaded or was refused what, and check
that the log is whole (DPA 2018 s.62; the ICO expects logs to be reviewed, not just kept).

Reading the log is itself recorded as a consultation of the audit log.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pandas as pd
import streamlit as st

from core import audit
from ui import auth, data

acc = auth.get()
if not acc.can_read_audit:
    auth.refuse(acc, "audit log", "only administrators read the audit log")

path = data.settings().audit_file
st.title("Audit log")
st.caption("Every sign-in, page consultation (with its filters and scope), export (with recipient and purpose), "
           "load, retention deletion and refused access, in order. The log is append-only and hash-chained: "
           "changing or removing any record breaks the chain at that record.")

check = audit.verify(path)
if check.ok:
    st.success(f"Chain intact: {check.records:,} records, the last seq {check.last_seq:,}, hash "
               f"{check.last_hash[:16]}…", icon="🔗")
else:
    brk = check.broken
    st.error(f"⚠️ The chain is broken at seq {brk.seq} (line {brk.line}): {brk.kind}: {brk.reason}. "
             "Keep the file as it is and report it.")

today = datetime.now(UTC).date()
c1, c2, c3, c4 = st.columns(4)
actor = c1.text_input("User", key="audit_actor", help="The user id exactly (case is ignored).").strip() or None
action = c2.selectbox("Action", ["(any)", *audit.ACTIONS], key="audit_action")
what = c3.text_input("About", key="audit_what", help="Part of the page, export or file name.").strip() or None
window = c4.date_input("Between", value=(today - timedelta(days=7), today), format="DD/MM/YYYY", key="audit_window")
start, end = (window if isinstance(window, tuple) and len(window) == 2 else (today - timedelta(days=7), today))
limit = 2_000
found = audit.search(
    path, actor=actor, action=None if action == "(any)" else action, what=what,
    since=datetime.combine(start, time.min, UTC), until=datetime.combine(end + timedelta(days=1), time.min, UTC),
    limit=limit,
)
auth.record(acc, "consult", "audit log", {"actor": actor, "action": action, "what": what,
                                           "from": start.isoformat(), "to": end.isoformat(), "found": len(found)})
if not found:
    st.info("No records match.")
else:
    df = pd.DataFrame(found)
    df["details"] = df["details"].map(lambda d: ", ".join(f"{k}={v}" for k, v in (d or {}).items()))
    st.caption(f"{len(df):,} records" + (f" (the latest {limit:,})" if len(df) == limit else "") + ", newest first.")
    st.dataframe(
        df.sort_values("seq", ascending=False)[["seq", "ts", "actor", "role", "action", "what", "details", "hash"]],
        hide_index=True, key="audit_table",
        column_config={"seq": st.column_config.NumberColumn("Seq", format="%d"), "ts": "When (UTC)",
                       "actor": "User", "role": "Role", "action": "Action", "what": "About",
                       "details": st.column_config.TextColumn("Details", width="large"),
                       "hash": st.column_config.TextColumn("Hash", width="small")},
    )
st.caption("Check the chain from a shell with `python cli.py audit verify`; keep the seq and hash it prints "
           "somewhere this server cannot write, so a rebuilt chain would also be found.")
