"""Property-based fuzzing of the whole HTTP API with schemathesis, from its own OpenAPI schema.

Every operation gets schema examples and random cases, sent as an admin over real HTTP to a server
with the sample district. Checked: no 5xx, every status code and content type documented, every
body matching its documented schema; the run's JUnit report names every operation of the schema
(each was tried). The default run keeps CI short (6 random cases per operation and phase besides
the schema's examples: about 500 cases per backend); a deeper run adds the
coverage phase (boundary, missing and wrong values, about 2,000 cases, 4–5 minutes):
``XINCHENG_FUZZ_PHASES=examples,coverage,fuzzing XINCHENG_FUZZ_EXAMPLES=30 pytest tests/test_schemathesis.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from geo.users import create_user
from tests.conftest import report_figure, running_server, server_settings

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"


@pytest.fixture
def fuzz_server(writable_sample_store):
    """A server over its own copy of the sample district: the fuzzer's writes touch no other test."""
    store = writable_sample_store
    create_user(store, "fuzz-admin", "fuzz-admin-password-1", "admin", actor="test")
    with running_server(server_settings(store, public_rate_per_minute=100_000)) as url:
        yield url, store.dialect


def test_schemathesis_finds_no_server_error_and_no_schema_violation(fuzz_server, tmp_path):
    base, dialect = fuzz_server
    token = httpx.post(f"{base}/api/auth/login", json={"username": "fuzz-admin",
                                                       "password": "fuzz-admin-password-1"}).json()["access_token"]
    exe = Path(sys.executable).with_name("schemathesis")
    cmd = [str(exe), "run", f"{base}/openapi.json", "--header", f"Authorization: Bearer {token}",
           "--checks", CHECKS, "--phases", os.environ.get("XINCHENG_FUZZ_PHASES", "examples,fuzzing"),
           "--max-examples", os.environ.get("XINCHENG_FUZZ_EXAMPLES", "6"), "--seed", "7",
           "--exclude-path", "/api/auth/logout",  # it would end the fuzzer's own session
           "--request-timeout", "60", "--report", "junit", "--report-dir", str(tmp_path), "--no-color"]
    env = {**os.environ, "NO_COLOR": "1"}
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    out = run.stdout + run.stderr
    generated = re.search(r"(\d+) generated", out)
    server_errors = re.search(r"ST101 Server error: (\d+)", out)
    failures = re.findall(r"❌ (ST\d+ [^:\n]+): (\d+)", out)
    cases = int(generated.group(1)) if generated else 0
    report_figure(f"schemathesis [{dialect}]: {cases} cases over every documented operation; "
                  f"5xx seen: {int(server_errors.group(1)) if server_errors else 0}; "
                  f"schema/status/content-type failures: {sum(int(n) for _k, n in failures)}")
    assert run.returncode == 0, out[-6000:]
    assert cases > 300 and not server_errors and not failures
    schema = httpx.get(f"{base}/openapi.json", timeout=60).json()
    operations = {f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item
                  if method in ("get", "put", "post", "patch", "delete") and path != "/api/auth/logout"}
    tried = {case.get("name") for report in tmp_path.glob("*.xml")
             for case in ElementTree.parse(report).getroot().iter("testcase")}
    assert len(operations) > 80 and operations <= tried, sorted(operations - tried)[:20]
