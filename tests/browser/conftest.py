"""Real-browser fixtures: a Streamlit server on loopback and Debian's headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.config import ROOT

OUTPUT = ROOT / "test-output" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store, *, port: int | None = None, env: dict[str, str] | None = None, args: tuple[str, ...] = ()):
    """Start ``streamlit run dashboard.py`` on a free loopback port; returns (process, url)."""
    port = port or free_port()
    env = {**os.environ, "CASEWATCH_STORE": str(store), **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
         "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the Streamlit server did not become healthy: " + proc.stdout.read().decode()[-2000:])


def stop_server(proc) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def server(sample_store):
    proc, url = start_server(sample_store.store_dir)
    yield url
    stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("Debian's chromium is not installed: bin/test installs it (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=exe,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    pg = context.new_page()
    yield pg
    context.close()


SETTLED_JS = """(quiet) => {
  const busy = document.querySelector('[data-testid="stStatusWidget"]');
  const text = document.body.innerText;
  const now = Date.now();
  if (busy || text !== window.__cwText) { window.__cwText = text; window.__cwSince = now; return false; }
  return now - window.__cwSince >= quiet;
}"""


def settle(page, timeout: int = 90_000, quiet: int = 1500) -> None:
    """Wait until the app has finished its run: no "running" indicator and the page's text unchanged
    for ``quiet`` ms. The indicator alone is not enough: it appears only after a short delay, so a
    check made just after a rerun starts finds it absent while elements are still arriving."""
    page.wait_for_function(SETTLED_JS, arg=quiet, timeout=timeout, polling=250)


def screenshot(page, name: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
