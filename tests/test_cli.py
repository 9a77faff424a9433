"""The headless commands a CI pipeline uses to guard a network."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.zoo import ZOO, g, n


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True, text=True, timeout=120)


def test_summary_of_a_good_design_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "mlp.json"
    path.write_text(json.dumps(ZOO["mlp"][0]))
    done = run("summary", str(path))
    assert done.returncode == 0, done.stderr
    assert "Total params: 101,770" in done.stdout


def test_analyze_of_a_broken_design_exits_one_and_names_the_node(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(g("bad", [("x", [2, 3])], [n("fc", "Linear", "x", in_features=4, out_features=2)],
                                 ["fc"])))
    done = run("analyze", str(path), "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["errors"][0]["node"] == "fc"


def test_a_file_that_is_not_a_design_is_refused_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("[1, 2]")
    done = run("summary", str(path))
    assert done.returncode != 0 and "not a graph format v1 design" in done.stderr
    assert "Traceback" not in done.stderr
