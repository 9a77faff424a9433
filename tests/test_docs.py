"""The README is the reference: a registered op, an endpoint or a setting it does not mention fails."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from server.api.app import create_app
from server.registry import REGISTRY
from server.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


@pytest.mark.parametrize("op", sorted(REGISTRY))
def test_every_op_is_in_the_layer_list(op: str) -> None:
    assert f"| `{op}` |" in README, f"{op} is registered but not in README's layer list (python -m server ops)"


def _routes() -> list[str]:
    """Every operation of the OpenAPI document (the app's own list of what it serves)."""
    paths = create_app(Settings()).openapi()["paths"]
    routes = sorted(f"{method.upper()} {path}" for path, ops in paths.items() for method in ops)
    assert len(routes) > 10, "the OpenAPI document lists too few routes for this test to mean anything"
    return routes


@pytest.mark.parametrize("route", _routes())
def test_every_endpoint_is_documented(route: str) -> None:
    method, path = route.split(" ")
    pattern = re.escape(method) + r"\s+`?" + re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
    assert re.search(pattern, README.replace("`", "")), f"README does not document {route}"


@pytest.mark.parametrize("name", [f.name for f in fields(Settings)])
def test_every_setting_is_documented(name: str) -> None:
    env = "DATABASE_URL" if name == "database_url" else f"TORCHCANVAS_{name.upper()}"
    assert env in README, f"README does not document the setting {env}"
