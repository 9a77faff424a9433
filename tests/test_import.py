"""Import: a person's own module traced into a design that computes exactly what the module does;
what has no equivalent is reported with its source line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import import_models as models
import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from server.analysis import analyze
from server.builder import build, example_inputs
from server.graph import DType, GraphIn
from server.importer import ImportFailed, import_module

ROOT = Path(__file__).resolve().parents[1]
F32, I64 = DType.float32, DType.int64
CASES = [
    (models.MLP, [([4, 784], F32)]),
    (models.ResidualBlock, [([2, 8, 16, 16], F32)]),
    (models.Seq2Seq, [([2, 7, 5], F32), ([2, 6, 3], F32)]),
    (models.TinyTransformer, [([2, 6], I64)]),
    (models.Reshaping, [([2, 3, 6, 6], F32), ([2, 5], F32)]),
    (models.LeNet, [([3, 1, 28, 28], F32)]),
]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.parametrize(("cls", "inputs"), CASES, ids=[c.__name__ for c, _ in CASES])
def test_imported_design_computes_what_the_module_computes(cls: type[nn.Module], inputs: list) -> None:
    torch.manual_seed(0)
    module = cls().eval()
    imported = import_module(module, inputs, cls.__name__)
    graph = GraphIn.model_validate(imported.design)
    assert analyze(graph).ok
    built = build(graph).eval()
    built.load_state_dict(imported.state, strict=True)
    xs = example_inputs(graph, seed=1)
    with torch.no_grad():
        ours, theirs = built(*xs), module(*xs)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs, strict=True))
    frozen = {k for k, p in built.named_parameters() if not p.requires_grad}
    assert frozen == ({"head.weight", "head.bias"} if cls is models.TinyTransformer else set())


def test_mapping_reads_like_the_module() -> None:
    design = import_module(models.Seq2Seq(), CASES[2][1], "Seq2Seq").design
    by_id = {n["id"]: n for n in design["nodes"]}
    assert by_id["decoder"]["inputs"] == ["tgt", "encoder:1", "encoder:2"]
    assert by_id["encoder"]["args"] == {"input_size": 5, "hidden_size": 16, "num_layers": 2, "batch_first": True,
                                        "dropout": 0.1}
    residual = import_module(models.ResidualBlock(), CASES[1][1], "ResidualBlock").design
    ops = [(n["id"], n["op"]) for n in residual["nodes"]]
    assert ("shortcut_0", "Conv2d") in ops and ("add", "add") in ops


def test_what_has_no_equivalent_is_reported_with_its_line() -> None:
    with pytest.raises(ImportFailed) as caught:
        import_module(models.Untraceable(), [([2, 4], F32)], "Untraceable")
    text = "\n".join(caught.value.problems)
    source = Path(models.__file__).read_text().splitlines()
    for needle in ("x = self.fc(x).view(x.size(0), -1)", "x = x * 2.0", "return self.gru(x)"):
        line = source.index(next(s for s in source if needle in s)) + 1
        assert f"import_models.py:{line}: {needle}" in text
    assert "GRUCell" in text


class Branchy(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x if x.sum() > 0 else -x


def test_control_flow_on_values_cannot_be_drawn() -> None:
    with pytest.raises(ImportFailed, match="cannot trace Branchy"):
        import_module(Branchy(), [([2], F32)], "Branchy")


def test_cli_import_then_export_round_trip(tmp_path: Path) -> None:
    target = f"{ROOT / 'tests' / 'import_models.py'}:ResidualBlock"
    done = run("-m", "server", "import", target, "--input-shape", "2,8,16,16", "-o", str(tmp_path / "d.json"),
               "--weights", str(tmp_path / "w.safetensors"))
    assert done.returncode == 0, done.stderr
    assert "computes what" in done.stderr
    assert run("-m", "server", "export", str(tmp_path / "d.json"), "--format", "python",
               "-o", str(tmp_path / "residual.py")).returncode == 0
    check = (
        "import sys, torch; sys.path[:0] = ['.', 'tests']\n"
        "from residual import ResidualBlock as Exported\n"
        "from import_models import ResidualBlock\n"
        "from safetensors.torch import load_file\n"
        "torch.manual_seed(0); mine = ResidualBlock().eval()\n"
        "exported = Exported().eval()\n"
        "exported.load_state_dict(load_file('w.safetensors'), strict=True)\n"
        "x = torch.randn(2, 8, 16, 16)\n"
        "assert torch.equal(exported(x), mine(x))\n"
    )
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    result = run("-c", check, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ids = {n["id"] for n in json.loads((tmp_path / "d.json").read_text())["nodes"]}
    assert {key.split(".")[0] for key in load_file(tmp_path / "w.safetensors")} <= ids


def test_cli_import_failure_exits_1_with_lines(tmp_path: Path) -> None:
    done = run("-m", "server", "import", f"{ROOT / 'tests' / 'import_models.py'}:Untraceable",
               "--input-shape", "2,4")
    assert done.returncode == 1 and "import_models.py:" in done.stderr and "GRUCell" in done.stderr
    missing = run("-m", "server", "import", "nowhere.py:Net", "--input-shape", "2,4")
    assert missing.returncode == 1 and "path/to/file.py:ClassName" in missing.stderr


def test_the_server_never_loads_the_importer() -> None:
    probe = run("-c", "import sys, server.api.app; print('server.importer' in sys.modules)")
    assert probe.stdout.strip() == "False", probe.stderr
