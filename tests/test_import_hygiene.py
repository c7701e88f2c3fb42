"""The pure-logic packages never import streamlit, so they can be tested and reused without the UI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.config import ROOT

MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts)
    for pkg in ("core", "data_loaders")
    for p in (ROOT / pkg).rglob("*.py")
    if p.name != "__init__.py" or p.parent != ROOT / pkg
) + ["core", "data_loaders", "cli", "sample_data.generate"]


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_without_streamlit(module):
    code = f"import sys, {module}; sys.exit(1 if 'streamlit' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"{module} pulled in streamlit or failed to import: {result.stderr[-500:]}"


def test_only_the_ui_layer_mentions_streamlit():
    offenders = [
        str(p.relative_to(ROOT))
        for pkg in ("core", "data_loaders", "sample_data")
        for p in Path(ROOT / pkg).rglob("*.py")
        if "import streamlit" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
