"""Limits on what a request may be, enforced before any route parses it, and headers on every answer.

A public instance takes bodies from strangers. Pydantic checks a graph's fields, but only after
the whole body was read and parsed, so the costs that come before that are bounded here:

- size: a body over `max_body_bytes` (a weights upload over `max_upload_bytes`) answers 413. The
  bytes are counted as they arrive, so a chunked body without a Content-Length, or one that lies
  about it, is cut off at the limit instead of being read to the end;
- shape: a JSON body nested deeper than `max_json_depth`, holding NaN or Infinity (not JSON, but
  Python's parser takes them) or a number longer than `max_number_digits` digits answers 400
  before `json.loads` sees it (deep nesting costs recursion, a 5000-digit int costs quadratic time);
- headers: a Content-Security-Policy without external origins, no framing, no sniffing and no
  referrer on every response, pages and API alike;
- CORS stays closed (no Access-Control-* headers) unless `cors_origins` lists origins;
- hosts: with `allowed_hosts` set, a request naming another host answers 400 (DNS rebinding).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import numpy as np
from starlette.middleware.cors import CORSMiddleware

from server.api.errors import error_response
from server.errors import TooLarge, TorchcanvasError
from server.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The one route that takes a big raw body (a weights file); every other body is held to max_body_bytes,
# so a huge body of another type cannot make a JSON route read it before refusing it.
UPLOAD_PATH = re.compile(r"/api/v1/designs/[^/]+/weights")
# A JSON string (escapes included); possessive, so a long string costs one linear pass.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+"', re.DOTALL)
_NOT_A_NUMBER = re.compile(rb"NaN|Infinity")
_DIGITS = re.compile(rb"[0-9]+")
# `\u0000` not preceded by an escaping backslash: a NUL character, which PostgreSQL text cannot store.
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# Python's parser turns 1e400 into inf: a positive exponent of 300 or more is refused like Infinity.
_HUGE_EXPONENT = re.compile(rb"[eE]\+?0*[3-9][0-9]{2,}|[eE]\+?0*[1-9][0-9]{3,}")
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


class BadJson(TorchcanvasError):
    status = 400
    code = "bad_json"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _is_json(content_type: str | None) -> bool:
    """FastAPI parses a body as JSON when it says so, or says nothing; those bodies get the shape checks."""
    if not content_type:
        return True
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime == "application/json" or mime.endswith("+json")


def json_depth(text: bytes) -> int:
    """The deepest nesting of arrays and objects, brackets in strings not counted; no recursion."""
    return _depth(_STRING.sub(b'""', text))


def _depth(bare: bytes, chunk: int = 1 << 20) -> int:
    """A running sum of +1/-1 per bracket, a megabyte at a time (a few MB of scratch, not 8 per byte)."""
    view = np.frombuffer(bare, dtype=np.uint8)
    level, deepest = 0, 0
    for start in range(0, len(view), chunk):
        running = np.cumsum(_OPEN[view[start:start + chunk]], dtype=np.int32) + level
        deepest = max(deepest, int(running.max(initial=level)))
        level = int(running[-1])
    return deepest


def check_json_shape(body: bytes, settings: Settings) -> None:
    """Refuses, before parsing, JSON that would cost recursion or quadratic time, or is not JSON."""
    if _NUL.search(body):
        raise BadJson("the JSON body holds a NUL character (\\u0000) in a string: remove it")
    bare = _STRING.sub(b'""', body)
    depth = _depth(bare)
    if depth > settings.max_json_depth:
        raise BadJson(f"the JSON body is nested {depth} levels deep; this server takes at most "
                      f"{settings.max_json_depth} (TORCHCANVAS_MAX_JSON_DEPTH)")
    if _NOT_A_NUMBER.search(bare) or _HUGE_EXPONENT.search(bare):
        raise BadJson("the JSON body holds NaN, Infinity or a number too large to be finite (1e300 or more): "
                      "send a finite number")
    longest = max((len(m) for m in _DIGITS.findall(bare)), default=0)
    if longest > settings.max_number_digits:
        raise BadJson(f"the JSON body holds a number of {longest} digits; this server takes at most "
                      f"{settings.max_number_digits} (TORCHCANVAS_MAX_NUMBER_DIGITS)")


class WrongHost(TorchcanvasError):
    status = 400
    code = "wrong_host"


def allowed_hosts(settings: Settings) -> frozenset[str] | None:
    """The host names this server answers to, or None for any (`*` or empty)."""
    names = {h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip()}
    return None if not names or "*" in names else frozenset(names)


def check_host(scope: Scope, allowed: frozenset[str] | None) -> None:
    """Refuses a Host header outside the list: a page of another site that rebinds its own name to
    127.0.0.1 (DNS rebinding) still sends its own name, so it cannot reach a local server."""
    if allowed is None:
        return
    host = (_header(scope, b"host") or "").strip().lower()
    name = host[1:].partition("]")[0] if host.startswith("[") else host.rpartition(":")[0] or host
    if name.strip("[]") not in {a.strip("[]") for a in allowed}:
        raise WrongHost(f"this server answers to {', '.join(sorted(allowed))} only, not {host[:100]!r} "
                        "(TORCHCANVAS_ALLOWED_HOSTS)")


class _Guard:
    """What the counting channel saw: an over-limit body turns whatever the app answers into a 413."""

    def __init__(self) -> None:
        self.error: TorchcanvasError | None = None
        self.started = False


class LimitsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware), so that uploads stream through and errors keep their shape."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.hosts = allowed_hosts(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guard = _Guard()
        send = _guarded_send(send, guard)
        try:
            check_host(scope, self.hosts)
            if scope["method"] in BODY_METHODS:
                receive = await self._checked_body(scope, receive, guard)
            await self.app(scope, receive, send)
        except TorchcanvasError as e:
            guard.error = guard.error or e
        except Exception:
            # The app may fail on the body cut short (a disconnect); the cause is the size, not a bug.
            if guard.error is None:
                raise
        if guard.error is not None and not guard.started:
            err, guard.error = guard.error, None
            await error_response(err.status, err.code, err.message, err.details)(scope, receive, send)

    async def _checked_body(self, scope: Scope, receive: Receive, guard: _Guard) -> Receive:
        """JSON is read here (bounded) and checked; any other body is counted as the route reads it."""
        is_json = _is_json(_header(scope, b"content-type"))
        upload = not is_json and scope["method"] == "PUT" and UPLOAD_PATH.fullmatch(scope["path"]) is not None
        limit = self.settings.max_upload_bytes if upload else self.settings.max_body_bytes
        setting = "TORCHCANVAS_MAX_UPLOAD_BYTES" if upload else "TORCHCANVAS_MAX_BODY_BYTES"
        too_large = TooLarge(f"the request body is over this server's limit of {limit} bytes ({setting})")
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            raise too_large
        counted = _counting(receive, limit, too_large, guard)
        if not is_json:
            return counted
        body = await _read_all(counted)
        if guard.error is not None:
            raise guard.error
        check_json_shape(body, self.settings)
        return _replay(body, receive)


def _counting(receive: Receive, limit: int, error: TooLarge, guard: _Guard) -> Receive:
    """Counts body bytes; past the limit the app sees a disconnect and the guard holds the 413."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        if guard.error is not None:
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                guard.error = error
                return {"type": "http.disconnect"}
        return message

    return wrapped


async def _read_all(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """Hands the app the body already read, then the real channel (for disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _guarded_send(send: Send, guard: _Guard) -> Send:
    """Adds the security headers; drops the app's answer when the body was cut off (the 413 follows)."""

    async def wrapped(message: Message) -> None:
        if guard.error is not None and not guard.started:
            return  # the app's answer to a cut-off body; the middleware sends the 413 instead
        if message["type"] == "http.response.start":
            guard.started = True
            names = {bytes(k).lower() for k, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return wrapped


def install_limits(app: Any, settings: Settings) -> None:
    """Limits outermost (first to see a request); CORS inside them, and only when origins are listed."""
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        methods = ["GET", "POST", "PUT", "DELETE"]
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=methods,
                           allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(LimitsMiddleware, settings=settings)
