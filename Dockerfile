# syntax=docker/dockerfile:1
# Torchcanvas as one image: `docker build -t torchcanvas .` then
# `docker run -p 8000:8000 -v torchcanvas-data:/data torchcanvas` serves http://localhost:8000.
# scripts/docker_replay.sh replays this file's install and start steps in a clean venv (CI runs it),
# and tests/test_dockerfile.py checks its properties; keep the three in step.

# --- Stage 1: the canvas (React Flow + Vite) built to static/dist --------------------------------------
FROM node:20-slim AS canvas
WORKDIR /src/static
COPY static/package.json static/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY static/ ./
RUN npm run build

# --- Stage 2: the server, CPU torch, no build tools, not root -----------------------------------------
FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TORCHCANVAS_DATA_DIR=/data \
    TORCHCANVAS_STATIC_DIR=/app/static/dist \
    TORCHCANVAS_TEMPLATES_DIR=/app/templates
RUN groupadd --system --gid 10001 torchcanvas \
 && useradd --system --uid 10001 --gid torchcanvas --home-dir /app --shell /usr/sbin/nologin torchcanvas
WORKDIR /app
# The CPU wheel of torch (about 200 MB instead of several GB with CUDA); its own layer, so that
# rebuilding after a code change does not fetch it again.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY server/ server/
COPY templates/ templates/
# A regular (not editable) install: what the server reads at run time must be declared package data.
RUN pip install . && rm -rf build ./*.egg-info
COPY --from=canvas /src/static/dist static/dist
RUN mkdir -p /data && chown torchcanvas:torchcanvas /data
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4).status != 200)"]
CMD ["python", "-m", "server", "--host", "0.0.0.0", "--port", "8000"]
