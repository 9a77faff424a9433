#!/usr/bin/env bash
# Replays the Dockerfile's app stage where no Docker engine is: a clean venv, the files its COPY
# lines copy (and nothing else), its ENV, its RUN lines (torch from the local wheel instead of the
# CPU index), then its CMD on a free port. Passes when the HEALTHCHECK command, GET / and one
# analyze of the tutorial's ImageClassifier succeed. The canvas stage's `npm ci && npm run build`
# is the one scripts/install.sh runs; its static/dist stands in for `COPY --from=canvas`.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PY=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/torchcanvas-replay.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
say() { echo "docker_replay: $*" >&2; }
# pip's notes about this machine's local index layout are noise here.
quiet() { grep -v "is neither a file nor a directory" || true; }
[ -f static/dist/.vite/manifest.json ] || { say "static/dist is not built: run scripts/install.sh first"; exit 1; }

# The app stage as shell lines: `ENV k v`, `COPY src dst`, `FROM-COPY dst`, `RUN cmd`, `CMD json`, `HEALTH json`.
"$PY" - "$REPO/Dockerfile" > "$WORK/steps" <<'EOF'
import json, re, shlex, sys
text = re.sub(r"\\\n", " ", open(sys.argv[1]).read())
lines = [l.strip() for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
stages, current = {}, None
for line in lines:
    op, _, rest = line.partition(" ")
    if op.upper() == "FROM":
        current = rest.split()[-1]
        stages[current] = []
    elif current:
        stages[current].append((op.upper(), rest.strip()))
for op, rest in stages["app"]:
    if op == "ENV":
        for pair in shlex.split(rest):
            k, _, v = pair.partition("=")
            print("ENV", k, v)
    elif op == "COPY" and rest.startswith("--from="):
        print("FROM-COPY", rest.split()[-1])
    elif op == "COPY":
        parts = rest.split()
        for src in parts[:-1]:
            print("COPY", src, parts[-1])
    elif op == "RUN":
        print("RUN", rest)
    elif op == "CMD":
        print("CMD", json.dumps(json.loads(rest)))
    elif op == "HEALTHCHECK":
        print("HEALTH", json.dumps(json.loads(rest[rest.index("CMD") + 3:])))
EOF

APP=$WORK/app DATA=$WORK/data VENV=$WORK/venv
mkdir -p "$APP" "$DATA"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
say "clean venv in $VENV"
"$PY" -m venv "$VENV"
export PATH="$VENV/bin:$PATH" PIP_QUIET=1
while read -r kind rest; do
  case $kind in
    ENV)
      read -r key value <<<"$rest"
      value=${value//\/data/$DATA}; value=${value//\/app/$APP}
      export "$key=$value" ;;
    COPY)
      read -r src dst <<<"$rest"
      mkdir -p "$APP/$dst"
      if [ -d "$REPO/$src" ]; then cp -r "$REPO/$src/." "$APP/$dst/"; else cp "$REPO/$src" "$APP/$dst/"; fi
      find "$APP" -name __pycache__ -prune -exec rm -rf {} + ;;
    FROM-COPY)
      mkdir -p "$APP/$(dirname "$rest")"; cp -r "$REPO/static/dist" "$APP/$rest" ;;
    RUN)
      case $rest in
        groupadd*|useradd*|"mkdir -p /data"*) say "skipped (system user/dir): $rest" ;;
        *--index-url*)
          cmd=$(sed -E 's/--index-url +[^ ]+//' <<<"$rest")
          say "RUN $cmd   (local wheel instead of the index)"; (cd "$APP" && eval "$cmd") 2> >(quiet >&2) ;;
        *) say "RUN $rest"; (cd "$APP" && eval "$rest") 2> >(quiet >&2) ;;
      esac ;;
    CMD|HEALTH)
      printf '%s\n' "$rest" > "$WORK/$kind.json" ;;
  esac
done < "$WORK/steps"

# CMD as the container runs it (port 8000 -> a free one), from WORKDIR /app.
mapfile -t CMD < <("$PY" -c 'import json,sys; [print(a.replace("8000", sys.argv[2])) for a in json.load(open(sys.argv[1]))]' "$WORK/CMD.json" "$PORT")
say "starting: ${CMD[*]}"
(cd "$APP" && exec "${CMD[@]}") > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
mapfile -t HEALTH < <("$PY" -c 'import json,sys; [print(a.replace("8000", sys.argv[2])) for a in json.load(open(sys.argv[1]))]' "$WORK/HEALTH.json" "$PORT")
for _ in $(seq 1 120); do
  if (cd "$APP" && "${HEALTH[@]}") 2>/dev/null; then break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; say "the server exited"; exit 1; }
  sleep 0.5
done
(cd "$APP" && "${HEALTH[@]}") || { cat "$WORK/server.log" >&2; say "HEALTHCHECK failed"; exit 1; }
say "HEALTHCHECK passed"
"$VENV/bin/python" - "$PORT" "$REPO/server/gallery/designs/image_classifier.json" <<'EOF' || { cat "$WORK/server.log" >&2; exit 1; }
import json, sys, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
page = urllib.request.urlopen(base + "/", timeout=10)
assert page.status == 200 and b'id="root"' in page.read(), "GET / did not serve the canvas"
design = json.load(open(sys.argv[2]))["design"]
req = urllib.request.Request(base + "/api/v1/analyze", json.dumps(design).encode(),
                             {"content-type": "application/json"})
answer = json.load(urllib.request.urlopen(req, timeout=30))
assert answer["ok"] is True and answer["totals"]["params"] == 129290, answer
print(f"docker_replay: GET / and analyze passed ({answer['totals']['params']:,} params)", file=sys.stderr)
EOF
say "the image's install and start steps work"
