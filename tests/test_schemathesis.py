"""Property-based API testing: schemathesis generates requests from our OpenAPI document; none may 5xx.

Bounded and deterministic (derandomized, at most EXAMPLES per operation: a few hundred in all).
Left out: the measuring endpoints (tag `measure`: each request starts worker processes and real
runs, covered by their own tests) and ONNX export (one torch.onnx trace per case is too slow here);
weights export runs with a 16 MB limit so generated designs cannot allocate much. Saved designs go
to PostgreSQL when TORCHCANVAS_TEST_DATABASE_URL names one (CI starts it), else to SQLite.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, Phase, settings

from server.api.app import create_app
from server.settings import Settings

EXAMPLES = 25


# Module level, as schemathesis' pytest integration wants (its fixture loader does not run on pytest 9).
_DATA = Path(tempfile.mkdtemp(prefix="torchcanvas-schemathesis-"))
atexit.register(shutil.rmtree, _DATA, ignore_errors=True)
# On PostgreSQL when CI provides one (the stricter store: no NUL in text, 32-bit INTEGER), else SQLite.
_DB = os.environ.get("TORCHCANVAS_TEST_DATABASE_URL", "")
_APP = create_app(Settings(data_dir=_DATA, database_url=_DB, max_export_bytes=16 * 1024 * 1024))
schema = (schemathesis.openapi.from_asgi("/openapi.json", _APP)
          .exclude(tag="measure").exclude(path="/api/v1/export/onnx"))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_no_request_the_schema_allows_gets_a_5xx(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
    content_type = response.headers.get("content-type", [""])[0]
    if response.status_code >= 400 and content_type.startswith("application/json"):
        assert set(response.json()) == {"error"}, response.text[:300]
