#!/usr/bin/env bash
# Installs everything (Python, front end, Chromium when root) and runs every check and test.
# TORCHCANVAS_REQUIRE_BROWSER=1 turns a missing browser from a skip into a failure (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
EXTRAS="[test,bench]" bash scripts/install.sh
# CI replays the Dockerfile in a clean venv (about a minute); set TORCHCANVAS_DOCKER_REPLAY=1 to run it here.
if [ "${TORCHCANVAS_DOCKER_REPLAY:-}" = 1 ]; then bash scripts/docker_replay.sh; fi
.venv/bin/ruff check server tests bench
.venv/bin/mypy
if [ -f static/package.json ]; then (cd static && npm run -s test); fi
.venv/bin/python -m pytest -p no:cacheprovider "$@"
