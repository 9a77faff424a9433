"""The canvas page: served from the Jinja2 template, linking the Vite build through its manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.api.app import create_app
from server.settings import Settings


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A build folder laid out as Vite writes it (entry chunk, shared chunk, stylesheet)."""
    dist = tmp_path / "dist"
    (dist / ".vite").mkdir(parents=True)
    (dist / "assets").mkdir()
    (dist / "assets" / "main-abc.js").write_text("console.log('canvas')")
    (dist / "assets" / "main-abc.css").write_text("body{}")
    manifest = {
        "src/main.tsx": {"file": "assets/main-abc.js", "css": ["assets/main-abc.css"], "isEntry": True,
                         "imports": ["_vendor.js"]},
        "_vendor.js": {"file": "assets/vendor-def.js"},
    }
    (dist / ".vite" / "manifest.json").write_text(json.dumps(manifest))
    return dist


def _client(static_dir: Path, tmp_path: Path) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path / "data", static_dir=static_dir)))


def test_page_links_the_built_assets(built: Path, tmp_path: Path) -> None:
    page = _client(built, tmp_path).get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/assets/main-abc.js">' in page.text
    assert '<link rel="stylesheet" href="/static/assets/main-abc.css">' in page.text
    assert '<link rel="modulepreload" href="/static/assets/vendor-def.js">' in page.text
    assert "http://" not in page.text and "https://" not in page.text


def test_built_files_are_served(built: Path, tmp_path: Path) -> None:
    client = _client(built, tmp_path)
    assert client.get("/static/assets/main-abc.js").text == "console.log('canvas')"
    assert client.get("/static/assets/missing.js").status_code == 404
    assert client.get("/static/../pyproject.toml").status_code == 404


def test_design_page_carries_the_id_escaped(built: Path, tmp_path: Path) -> None:
    page = _client(built, tmp_path).get("/d/abc123")
    assert 'data-design-id="abc123"' in page.text
    hostile = _client(built, tmp_path).get('/d/"><script>x')
    assert "<script>x" not in hostile.text
    assert "&#34;&gt;&lt;script&gt;x" in hostile.text


def test_missing_build_says_how_to_build(tmp_path: Path) -> None:
    page = _client(tmp_path / "nowhere", tmp_path).get("/")
    assert page.status_code == 503
    assert "scripts/install.sh" in page.text
