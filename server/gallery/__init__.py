"""The gallery: the tutorial's networks as ready-made designs (graph format v1 with `ui` positions).

Each `designs/<name>.json` holds `{"title", "description", "design"}`. The files are package data,
read once; a requested name is only ever looked up in that dict, never joined into a path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from server.errors import NotFound
from server.graph import GraphIn


@dataclass(frozen=True)
class Template:
    """One gallery entry; `design` is validated graph-format-v1 JSON."""

    name: str
    title: str
    description: str
    design: dict[str, Any]

    def summary(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "description": self.description}


@lru_cache(maxsize=1)
def templates() -> dict[str, Template]:
    """Every template by name, in a stable order; a malformed file fails loudly at first use."""
    folder = resources.files(__package__).joinpath("designs")
    out: dict[str, Template] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        body = json.loads(entry.read_text(encoding="utf-8"))
        GraphIn.model_validate(body["design"])
        name = entry.name.removesuffix(".json")
        out[name] = Template(name, body["title"], body["description"], body["design"])
    return out


def get_template(name: str) -> Template:
    """The template called `name`, or NotFound listing the names there are."""
    found = templates().get(name)
    if found is None:
        known = ", ".join(templates())
        raise NotFound(f"no template named {name[:64]!r}: choose one of {known}")
    return found
