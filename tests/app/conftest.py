"""AppTest fixtures: point the dashboard at a store and start each test with empty caches."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.config import ROOT


@pytest.fixture
def app(monkeypatch, sample_store):
    """The dashboard entry point on the bundled sample data, caches cleared."""

    def make(store=None) -> AppTest:
        monkeypatch.setenv("CASEWATCH_STORE", str(store or sample_store.store_dir))
        st.cache_data.clear()
        st.cache_resource.clear()
        return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)

    return make
