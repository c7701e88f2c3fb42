"""AppTest fixtures: point the dashboard at a store and start each test with empty caches."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from core.config import ROOT


@pytest.fixture(autouse=True)
def navigation_like_the_server(monkeypatch):
    """Run the app the way the server does once st.navigation has been called.

    A real server sets PagesManager.uses_pages_directory to False the first time st.navigation
    runs and keeps it. AppTest resets it before every run, so a rerun of a page whose url_path
    equals its file name in pages/ would run that file alone, as a pages-folder app would,
    without the entry point and its sidebar. The dashboard's url paths equal the file names on
    purpose (see dashboard.py), so the tests pin the flag as the server has it.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture
def app(monkeypatch, sample_store, tmp_path):
    """The dashboard entry point on the bundled sample data, caches cleared."""

    audit_dir = tmp_path / "audit"
    address = st_config.get_option("server.address")

    def make(store=None) -> AppTest:
        monkeypatch.setenv("CASEWATCH_STORE", str(store or sample_store.store_dir))
        # Local mode (the default sign-in) is refused unless the server is bound to loopback, as
        # bin/dashboard binds it; AppTest has no server, so say where it would be bound.
        st_config.set_option("server.address", "localhost")
        monkeypatch.setenv("CASEWATCH_AUDIT", str(audit_dir / "audit.jsonl"))
        st.cache_data.clear()
        st.cache_resource.clear()
        return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)

    yield make
    st_config.set_option("server.address", address)
