"""The CLI's `import` and `export` commands: designs in from a person's code, out as files."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from server.graph import DType

Command = Callable[[argparse.Namespace], int]
FORMATS = ("python", "onnx", "safetensors", "pt")


def _shape(text: str) -> list[int]:
    try:
        dims = [int(d) for d in text.split(",")]
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape like 1,3,224,224") from e
    if not dims or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: every dimension is a positive integer")
    return dims


def cmd_import(args: argparse.Namespace) -> int:
    """Runs the person's own code (their machine, their file): traces it and writes the design."""
    import torch
    from safetensors.torch import save_file

    from server.importer import ImportFailed, import_module, load_class

    dtypes = [DType(d) for d in args.input_dtype] + [DType.float32] * len(args.input_shape)
    try:
        cls = load_class(args.target)
        torch.manual_seed(0)  # the module's initial weights, and so the --weights file, are reproducible
        model = cls(**json.loads(args.kwargs))
        imported = import_module(model, list(zip(args.input_shape, dtypes, strict=False)),
                                 args.name or cls.__name__)
    except ImportFailed as e:
        print(f"cannot import {args.target}:", *e.problems, sep="\n", file=sys.stderr)
        return 1
    except TypeError as e:
        print(f"cannot make {args.target}: {e} (pass constructor arguments with --kwargs '{{...}}')",
              file=sys.stderr)
        return 1
    text = json.dumps(imported.design, indent=1) + "\n"
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    if args.weights:
        save_file(imported.state, args.weights)
    print(f"{len(imported.design['nodes'])} nodes; the design computes what {args.target} computes "
          f"(largest difference {imported.max_difference:.3g})", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from server.cli import load_design
    from server.errors import TorchcanvasError
    from server.export.onnx import onnx_bytes
    from server.export.python_code import python_module
    from server.export.weights import WeightsFormat, weights_file

    design = load_design(args.design)
    limit = 1 << 62  # a person exporting on their own machine sets their own limits
    try:
        if args.format == "python":
            data = python_module(design).encode()
        elif args.format == "onnx":
            data = onnx_bytes(design, limit)
        else:
            data = weights_file(design, WeightsFormat(args.format), args.seed, limit)
    except TorchcanvasError as e:
        details = [f"  {d.get('node', '')}: {d.get('message', '')}" for d in e.details]
        print(f"{args.design}: {e.message}", *details, sep="\n", file=sys.stderr)
        return 1
    Path(args.output).write_bytes(data)
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Command]:
    imp = sub.add_parser("import", help="trace your own nn.Module into a design (runs your code, locally)")
    imp.add_argument("target", help="path/to/model.py:ClassName")
    imp.add_argument("--input-shape", type=_shape, action="append", required=True,
                     help="shape of one forward input, e.g. 1,3,224,224 (repeat for each input)")
    imp.add_argument("--input-dtype", action="append", default=[], choices=[d.value for d in DType],
                     help="dtype of each input in order (default float32; int64 for token ids)")
    imp.add_argument("--kwargs", default="{}", help="constructor keyword arguments as JSON")
    imp.add_argument("--name", help="the design's name (default: the class name)")
    imp.add_argument("-o", "--output", help="design file to write (default: stdout)")
    imp.add_argument("--weights", help="also write the module's weights, named as the design, to this "
                     "safetensors file (upload it into a saved design)")
    exp = sub.add_parser("export", help="write a design as Python code, ONNX or a weights file")
    exp.add_argument("design")
    exp.add_argument("--format", choices=FORMATS, required=True)
    exp.add_argument("-o", "--output", required=True)
    exp.add_argument("--seed", type=int, help="weights seed (default: the design's)")
    return {"import": cmd_import, "export": cmd_export}
