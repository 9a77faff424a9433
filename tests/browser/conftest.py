"""Fixtures of the browser tests: the real app in a subprocess and Debian's Chromium driving it.

Without /usr/bin/chromium the tests skip, unless TORCHCANVAS_REQUIRE_BROWSER=1 (CI), when they fail.
Each test gets a fresh browser context (empty storage), records every request the page makes and
fails when one leaves our server; a screenshot of the final state goes to test-artifacts/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer at {url} within {timeout_s} s")


@contextmanager
def serve(data_dir: Path, **env: str) -> Iterator[str]:
    """`python -m server` on a free loopback port, with extra TORCHCANVAS_* settings."""
    if not (ROOT / "static" / "dist" / ".vite" / "manifest.json").exists():
        pytest.fail("the canvas is not built: run `bash scripts/install.sh` (or `npm run build` in static/)")
    port = _free_port()
    full_env = {**os.environ, "TORCHCANVAS_DATA_DIR": str(data_dir), **env}
    proc = subprocess.Popen([sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=full_env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture
def serve_with() -> Any:
    """`serve` for a test that needs a server with settings of its own."""
    return serve


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(tmp_path_factory.mktemp("browser-data")) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("TORCHCANVAS_REQUIRE_BROWSER") == "1":
            pytest.fail("/usr/bin/chromium is missing and TORCHCANVAS_REQUIRE_BROWSER=1: apt-get install chromium")
        pytest.skip("/usr/bin/chromium is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextmanager
def open_page(browser: Any, server_url: str, name: str, expected_errors: tuple[str, ...] = ()) -> Iterator[Any]:
    """A fresh page at our server; afterwards: a screenshot, no request may have left the server,
    and the page may have logged no error but one of each `expected_errors` (Chromium logs every
    4xx answer to the console, so a test that expects a refusal names it)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    requested: list[str] = []
    errors: list[str] = []
    pg.on("request", lambda r: requested.append(r.url))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # CSP violations too
    pg.set_default_timeout(10_000)
    pg.goto(server_url + "/")
    pg.locator("body[data-painted][data-fitted]").wait_for()
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    context.close()
    outside = [u for u in requested if not u.startswith((server_url, "data:", "blob:"))]
    assert not outside, f"the page requested outside our server: {outside}"
    for expected in expected_errors:
        seen = [e for e in errors if expected in e]
        assert len(seen) == 1, f"expected one page error with {expected!r}, saw {seen}"
    assert len(errors) == len(expected_errors), f"errors in the page: {errors}"


@pytest.fixture
def page(browser: Any, server_url: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    with open_page(browser, server_url, request.node.name) as pg:
        yield pg
