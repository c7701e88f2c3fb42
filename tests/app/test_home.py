"""AppTest behaviour tests of the dashboard shell and the Overview page (pages/home.py)."""

from __future__ import annotations

from datetime import date

from core.stl import BAND_LABELS, BAND_ORDER


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_home_renders_every_band_with_text_and_no_exception(app):
    at = app()
    at.run()
    assert not at.exception
    got = metrics(at)
    for band in BAND_ORDER:
        assert BAND_LABELS[band] in got
    assert sum(int(got[BAND_LABELS[b]].replace(",", "")) for b in BAND_ORDER) > 1000
    assert int(got[BAND_LABELS["BLACK"]].replace(",", "")) > 0


def test_force_filter_changes_the_counts(app):
    # That a copied link reproduces the view is checked in a real browser (tests/browser), because
    # AppTest does not feed query parameters to widgets bound to the URL.
    at = app()
    at.run()
    both = metrics(at)
    at.multiselect(key="force").select("37").run()
    assert not at.exception
    suffolk = metrics(at)
    assert suffolk != both
    assert int(suffolk["⬛ BLACK – STL passed"]) < int(both["⬛ BLACK – STL passed"])


def test_as_of_date_changes_the_bands(app):
    at = app()
    at.run()
    now = metrics(at)
    at.date_input(key="as_of").set_value(date(2026, 6, 1)).run()
    assert not at.exception
    assert metrics(at) != now


def test_empty_store_explains_how_to_load_data(app, tmp_path):
    at = app(store=tmp_path / "empty")
    at.run()
    assert not at.exception
    assert any("No data has been loaded yet" in w.value for w in at.warning)


def test_data_as_of_stamp_is_shown(app):
    at = app()
    at.run()
    assert any("Data loaded" in c.value for c in at.sidebar.caption)
