"""`python -m server [serve] --host H --port P`, and the headless commands for scripts and CI."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from pydantic import ValidationError

from server import cli_transfer
from server.graph import GraphIn
from server.settings import Settings, get_settings


def load_design(path: str) -> GraphIn:
    """Reads a design file; a file that is not a graph exits with the reason, not a traceback."""
    try:
        return GraphIn.model_validate_json(Path(path).read_bytes())
    except (OSError, ValidationError) as e:
        raise SystemExit(f"{path}: not a graph format v1 design: {str(e).splitlines()[0]}") from e


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.analysis import warm_up
    from server.api.app import create_app

    warm_up()
    uvicorn.run(create_app(serve_settings(args.host)), host=args.host, port=args.port, log_level="warning")
    return 0


LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def serve_settings(host: str) -> Settings:
    """A server bound to loopback answers to loopback names only, unless TORCHCANVAS_ALLOWED_HOSTS
    says otherwise: a web page cannot then reach it by rebinding its own name to 127.0.0.1."""
    settings = get_settings()
    if host in LOOPBACK and "TORCHCANVAS_ALLOWED_HOSTS" not in os.environ:
        settings = replace(settings, allowed_hosts="127.0.0.1,localhost,[::1]")
    return settings


def cmd_summary(args: argparse.Namespace) -> int:
    from server.analysis import analyze
    from server.summary import summary_text

    result = analyze(load_design(args.design))
    print(summary_text(result))
    return 0 if result.ok else 1


def cmd_analyze(args: argparse.Namespace) -> int:
    from server.analysis import analyze
    from server.summary import summary_text

    result = analyze(load_design(args.design))
    print(json.dumps(result.to_json(), indent=1) if args.json else summary_text(result))
    return 0 if result.ok else 1


def cmd_ops(args: argparse.Namespace) -> int:
    from server.registry import REGISTRY

    print("| Category | Op | Inputs -> outputs | What it does |\n|---|---|---|---|")
    for spec in sorted(REGISTRY.values(), key=lambda s: (s.category.value, s.name)):
        ports = f"{', '.join(p.name for p in spec.inputs)} -> {', '.join(spec.outputs)}"
        print(f"| {spec.category.value} | `{spec.name}` | {ports} | {spec.doc} |")
    return 0


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Callable[[argparse.Namespace], int]]]:
    parser = argparse.ArgumentParser(prog="python -m server", description="Torchcanvas")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="serve the app (the default command)")
    for p in (parser, serve):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
    summary = sub.add_parser("summary", help="print a per-node table of a design")
    summary.add_argument("design")
    analyze = sub.add_parser("analyze", help="analyse a design; exit 1 when it has errors")
    analyze.add_argument("design")
    analyze.add_argument("--json", action="store_true", help="print the API's JSON answer")
    sub.add_parser("ops", help="print the op registry as a Markdown table (the README's layer list)")
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "serve": cmd_serve, "summary": cmd_summary, "analyze": cmd_analyze, "ops": cmd_ops,
    }
    commands.update(cli_transfer.add_commands(sub))
    return parser, commands


def main(argv: list[str] | None = None) -> int:
    parser, commands = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return commands[args.command or "serve"](args)
