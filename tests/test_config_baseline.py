"""The Streamlit security baseline (reliability.md SC-01, SC-10, SC-20, SC-21, SC-24, SC-26) and
the sign-in secrets template: any drift fails here, on purpose.

To change a setting, change BASELINE in the same commit and say why (docs/access.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

from core.config import ROOT

CONFIG = ROOT / ".streamlit" / "config.toml"
SECRETS_EXAMPLE = ROOT / ".streamlit" / "secrets.toml.example"

BASELINE = {
    "server": {
        "headless": True,
        "enableXsrfProtection": True,
        "enableCORS": True,
        "maxUploadSize": 100,
        "enableStaticServing": False,
    },
    "client": {
        "toolbarMode": "viewer",
        "showErrorDetails": "none",
        "disableDataExport": True,
    },
    "browser": {
        "gatherUsageStats": False,
    },
}
"""Every security-relevant table of .streamlit/config.toml, exactly ([theme] is free)."""


def test_config_file_matches_the_baseline_exactly():
    with CONFIG.open("rb") as fh:
        config = tomllib.load(fh)
    assert {k: config.get(k) for k in BASELINE} == BASELINE
    assert set(config) <= set(BASELINE) | {"theme"}, "a new config table needs a place in BASELINE"


def test_streamlit_applies_the_baseline():
    """The options Streamlit 1.67 actually runs with from this folder (no STREAMLIT_* overrides)."""
    names = [f"{table}.{key}" for table, keys in BASELINE.items() for key in keys]
    code = ("import json, sys; from streamlit import config; "
            f"print(json.dumps({{n: config.get_option(n) for n in {names!r}}}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    effective = json.loads(result.stdout.strip().splitlines()[-1])
    expected = {f"{t}.{k}": v for t, keys in BASELINE.items() for k, v in keys.items()}
    assert effective == expected


def test_error_details_value_is_one_streamlit_accepts():
    from streamlit import config

    text = config._config_options_template["client.showErrorDetails"].description
    assert '"none"' in text and BASELINE["client"]["showErrorDetails"] == "none"


def test_secrets_example_documents_entra_sign_in_without_real_secrets():
    with SECRETS_EXAMPLE.open("rb") as fh:
        secrets = tomllib.load(fh)
    auth = secrets["auth"]
    assert auth["redirect_uri"].startswith("https://") and auth["redirect_uri"].endswith("/oauth2callback")
    assert auth["cookie_secret"].startswith("<")
    entra = auth["microsoft"]
    assert entra["server_metadata_url"] == (
        "https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration")
    for key in ("client_id", "client_secret"):
        assert entra[key].startswith("<") and entra[key].endswith(">")


def test_real_secrets_are_never_committed():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".streamlit/secrets.toml" in ignored
    tracked = subprocess.run(["git", "ls-files", ".streamlit"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode == 0:  # a source tarball has no git
        assert ".streamlit/secrets.toml" not in tracked.stdout.split()
