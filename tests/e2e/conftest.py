"""Browser tests: a real JupyterLab 4 driven in headless Chromium, as a learner would use it.

The browser is Debian's `chromium` (apt), driven by pip `playwright` — never `playwright install`,
which downloads a browser build. Without chromium the tests FAIL with the command that installs it:
a skipped browser test would let CI pass without ever opening a notebook.

One JupyterLab server and one endpoint per test session, in a throwaway LABKIT_HOME on free ports,
serving private working copies made from labs/ (exactly what `make lab` opens). Screenshots go to
build/e2e/ (kept out of git).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from lab_helpers.config import REPO_ROOT
from tests.support import free_port

SHOTS = REPO_ROOT / "build" / "e2e"
TOKEN = "labkit-e2e"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
NO_CHROMIUM = ("Debian's chromium is not installed, so the browser tests cannot run. Install it with "
               "`apt-get update && apt-get install -y chromium` (as root; `make test` does this itself), "
               "or set LABKIT_CHROMIUM to a Chromium binary. Never use `playwright install`.")


def chromium_path() -> str:
    path = os.environ.get("LABKIT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail(NO_CHROMIUM, pytrace=False)
    return path


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """JupyterLab on private working copies of labs/, with its own workspace and endpoint."""
    from lab_helpers.authoring import workcopies

    root = tmp_path_factory.mktemp("e2e")
    notebooks, home, jupyter = root / "my-labs", root / "labkit-home", root / "jupyter"
    workcopies.sync(notebooks)
    settings_dir = jupyter / "settings" / "@jupyterlab" / "apputils-extension"
    settings_dir.mkdir(parents=True)
    # No "get Jupyter news?" toast over the bottom-right corner of every screenshot.
    (settings_dir / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # Every cell in the DOM (JupyterLab 4 may otherwise skip rendering cells scrolled out of view).
    tracker = jupyter / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port = free_port()
    env = dict(os.environ)
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "LABKIT_TARGET"):
        env.pop(var, None)
    env.update({"LABKIT_HOME": str(home), "LABKIT_PORT": str(free_port()),
                "JUPYTERLAB_SETTINGS_DIR": str(jupyter / "settings"),
                "JUPYTERLAB_WORKSPACES_DIR": str(jupyter / "workspaces"),
                "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"), "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
                "PYTHONUNBUFFERED": "1"})
    bindir = Path(sys.executable).parent
    cmd = [str(bindir / "jupyter"), "lab", "--no-browser", "--ip", "127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}", f"--notebook-dir={notebooks}",
           "--LanguageServerManager.autodetect=False", "--ServerApp.log_level=WARN"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = (root / "jupyter.log").open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=notebooks)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"JupyterLab did not start:\n{(root / 'jupyter.log').read_text()[-3000:]}", pytrace=False)
            time.sleep(0.25)
    try:
        yield {"url": url, "notebooks": notebooks, "env": env, "log": root / "jupyter.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        # The kernels started the workspace's endpoint daemon; stop it by its pidfile.
        subprocess.run([str(bindir / "labkit"), "down"], env=env, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("pip playwright is missing: install the dev extras (`pip install -e '.[dev]'`).", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page_at(browser):
    """page_at(width, height) -> a fresh page of that viewport (closed after the test)."""
    pages = []

    def make(width=1280, height=900):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.set_default_timeout(60_000)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
