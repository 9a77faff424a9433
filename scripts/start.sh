#!/usr/bin/env bash
# Quick start: install what is needed, then serve the app at http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/python -m server --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
