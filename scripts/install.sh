#!/usr/bin/env bash
# Installs everything Torchcanvas needs into .venv (Python) and static/node_modules (front end),
# and builds the canvas into static/dist. Safe to run again: each step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# The CPU wheel of torch lies on this machine's disk; asking for the exact pin keeps pip from
# fetching a multi-GB CUDA build.
.venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/pip install -q "torch==2.13.0"
.venv/bin/pip install -q -e ".${EXTRAS:-}"
if [ -f static/package.json ]; then
  (cd static && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run -s build)
fi
