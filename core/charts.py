"""Plotly figure builders: DataFrame in, Figure out, no Streamlit.

Every categorical colour is paired with its text label in the bar itself, so a band or light is
readable without colour (traffic lights always carry text or an icon).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

BAND_COLOURS = {
    "BLACK": "#111111",
    "RED": "#b3261e",
    "UNKNOWN": "#7c3aed",
    "AMBER": "#d97706",
    "GREEN": "#2e7d32",
    "COMMENCED": "#4b5563",
    "NO_LIMIT": "#9ca3af",
}


def category_bar(
    df: pd.DataFrame,
    category: str,
    value: str,
    labels: dict[str, str],
    colours: dict[str, str],
    title: str,
    value_title: str,
) -> go.Figure:
    """A horizontal bar per category, labelled with its text label and count."""
    names = [labels.get(c, c) for c in df[category]]
    fig = go.Figure(
        go.Bar(
            x=df[value],
            y=names,
            orientation="h",
            marker_color=[colours.get(c, "#6b7280") for c in df[category]],
            text=[f"{n:,}" for n in df[value]],
            textposition="auto",
            customdata=df[category],
            hovertemplate="%{y}: %{x:,}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title=value_title,
        yaxis={"autorange": "reversed"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=60 + 36 * max(len(df), 1),
        showlegend=False,
    )
    return fig
