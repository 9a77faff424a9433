"""The canvas page: a Jinja2 template that links the Vite build through its manifest.

The build lives in `settings.static_dir` (`static/dist` by default) and is served under `/static`;
the manifest is read per request so that a rebuild shows without a restart.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from server import __version__
from server.api.deps import SettingsDep
from server.settings import Settings


@lru_cache(maxsize=4)
def templates(directory: Path) -> Jinja2Templates:
    return Jinja2Templates(directory=directory)

ENTRY = "src/main.tsx"
STATIC_URL = "/static"

router = APIRouter(tags=["pages"], include_in_schema=False)


def entry_assets(static_dir: Path) -> dict[str, Any] | None:
    """Script, stylesheets and preloads of the entry chunk, or None when the build is missing."""
    try:
        manifest = json.loads((static_dir / ".vite" / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entry = manifest.get(ENTRY)
    if not entry:
        return None
    preload = [manifest[k]["file"] for k in entry.get("imports", []) if k in manifest]
    return {
        "script": f"{STATIC_URL}/{entry['file']}",
        "css": [f"{STATIC_URL}/{c}" for c in entry.get("css", [])],
        "preload": [f"{STATIC_URL}/{p}" for p in preload],
    }


def _page(request: Request, settings: Settings, design_id: str | None) -> HTMLResponse:
    assets = entry_assets(Path(settings.static_dir))
    if assets is None:
        manifest = str(Path(settings.static_dir) / ".vite" / "manifest.json")
        return templates(Path(settings.templates_dir)).TemplateResponse(
            request, "unbuilt.html", {"manifest": manifest}, status_code=503
        )
    context = {"design_id": design_id, "version": __version__, **assets}
    return templates(Path(settings.templates_dir)).TemplateResponse(request, "canvas.html", context)


@router.get("/", response_class=HTMLResponse)
def canvas(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The designer with the design kept in the browser (or a new one)."""
    return _page(request, settings, None)


@router.get("/d/{design_id}", response_class=HTMLResponse)
def saved_design(request: Request, design_id: str, settings: SettingsDep) -> HTMLResponse:
    """The designer opened on a design saved on the server (the page fetches it by id)."""
    return _page(request, settings, design_id[:64])


def mount_static(app: FastAPI, settings: Settings) -> None:
    """Serves the built canvas under /static; a missing build answers 404 there, not a crash."""
    app.mount(STATIC_URL, StaticFiles(directory=Path(settings.static_dir), check_dir=False), name="static")
