"""Operations over real HTTP: request ids in responses and JSON logs, metrics, body and geometry limits."""

from __future__ import annotations

import json
import logging
import socket

import httpx
import pytest
import shapely

from api.observability import JsonFormatter
from tests.conftest import USERS, running_server, server_settings


def _admin(base: str) -> dict[str, str]:
    name, password = USERS["admin"]
    token = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_request_ids_are_echoed_and_in_every_log_line(live_server, caplog):
    caplog.set_level(logging.INFO, logger="xincheng")
    r = httpx.get(f"{live_server}/api/health", headers={"X-Request-ID": "proxy-abc.123"})
    assert r.headers["x-request-id"] == "proxy-abc.123"
    odd = httpx.get(f"{live_server}/api/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert odd.headers["x-request-id"] != "bad id\twith spaces" and len(odd.headers["x-request-id"]) == 32
    refused = httpx.post(f"{live_server}/api/auth/login", json={"username": "nobody", "password": "not-it"},
                         headers={"X-Request-ID": "login-try-1"})
    assert refused.status_code == 401
    lines = [json.loads(JsonFormatter().format(rec)) for rec in caplog.records]
    access = [ln for ln in lines if ln["logger"] == "xincheng.access" and ln.get("request_id") == "proxy-abc.123"]
    assert access and access[0]["status"] == 200 and access[0]["route"] == "/api/health"
    assert access[0]["method"] == "GET" and access[0]["duration_ms"] >= 0
    auth = [ln for ln in lines if ln["logger"] == "xincheng.auth"]
    assert auth and auth[0]["request_id"] == "login-try-1" and auth[0]["username"] == "nobody"
    assert not any("not-it" in json.dumps(ln, ensure_ascii=False) for ln in lines)


def test_metrics_count_requests_by_route_and_status(live_server):
    before = httpx.get(f"{live_server}/metrics").text
    for _ in range(3):
        httpx.get(f"{live_server}/api/layers/streets/features/999999")
    text = httpx.get(f"{live_server}/metrics").text
    key = 'xincheng_http_requests_total{method="GET",route="/api/layers/{layer}/features/{fid}",status="404"}'

    def count(page: str) -> int:
        line = next((ln for ln in page.splitlines() if ln.startswith(key)), f"{key} 0")
        return int(line.rsplit(" ", 1)[1])

    assert count(text) == count(before) + 3  # the route template, not each id: label values stay bounded
    assert "# TYPE xincheng_http_request_duration_seconds histogram" in text
    assert 'le="+Inf"' in text and "xincheng_http_requests_in_flight" in text


def test_an_unexpected_error_is_a_500_with_the_request_id_logged(store, caplog):
    from api.app import create_app

    settings = server_settings(store)
    app = create_app(settings)

    @app.get("/api/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("kaboom: a bug")

    caplog.set_level(logging.INFO, logger="xincheng")
    with running_server(settings, app) as url:
        r = httpx.get(f"{url}/api/boom", headers={"X-Request-ID": "trace-500"})
    assert r.status_code == 500 and r.json()["request_id"] == "trace-500" and "kaboom" not in r.text
    assert r.headers["x-request-id"] == "trace-500"
    errors = [rec for rec in caplog.records if rec.name == "xincheng.api" and rec.exc_info]
    assert errors and json.loads(JsonFormatter().format(errors[0]))["request_id"] == "trace-500"
    assert "kaboom" in JsonFormatter().format(errors[0])  # the detail is in the log, not the response


@pytest.fixture
def small_limits_server(sample_store):
    settings = server_settings(sample_store, max_request_bytes=64_000, max_upload_bytes=200_000)
    with running_server(settings) as url:
        yield url


def test_body_limits_give_413_before_the_body_is_read(small_limits_server):
    base = small_limits_server
    h = _admin(base)
    big = {"properties": {"kind": "graves"}, "geometry": {"type": "Point", "coordinates": [111.7, 40.85]},
           "padding": "x" * 70_000}
    r = httpx.post(f"{base}/api/layers/graves/features", headers=h, json=big)
    assert r.status_code == 413 and r.json()["field"] == "body" and "64,000" in r.json()["message"]
    # Chunked, with no Content-Length: the bytes are counted as they arrive.
    body = json.dumps(big).encode()
    r = httpx.post(f"{base}/api/layers/graves/features", headers={**h, "Content-Type": "application/json"},
                   content=(body[i:i + 8192] for i in range(0, len(body), 8192)))
    assert r.status_code == 413 and r.json()["field"] == "body"
    # Imports have their own, larger limit.
    r = httpx.post(f"{base}/api/layers/graves/import", headers=h, params={"crs": "EPSG:4490", "format": "geojson"},
                   content=b" " * 250_000)
    assert r.status_code == 413 and "200,000" in r.json()["message"]
    r = httpx.post(f"{base}/api/layers/graves/import", headers=h, params={"crs": "EPSG:4490", "format": "geojson"},
                   content=b"{" + b" " * 100_000)
    assert r.status_code in (400, 422) and r.json()["status"] == r.status_code  # under the limit: parsed, refused


def test_geometry_complexity_is_limited(live_server, sample_store):
    from geo.validation import MAX_VERTICES

    h = _admin(live_server)
    before = sample_store.count("linear_features")
    coords = [[111.70 + i * 1e-7, 40.85 + (i % 2) * 1e-7] for i in range(MAX_VERTICES + 1)]
    r = httpx.post(f"{live_server}/api/layers/linear_features/features", headers=h, timeout=60,
                   json={"properties": {"kind": "river", "name": "测试河"}, "geometry": {"type": "LineString",
                                                                                     "coordinates": coords}})
    assert 400 <= r.status_code < 500 and r.json()["field"] == "geometry", r.text
    assert "100,001 vertices" in r.json()["message"] and "100,000" in r.json()["message"]
    parts = {"type": "MultiPoint", "coordinates": [[111.7 + i * 1e-6, 40.85] for i in range(10_001)]}
    r = httpx.post(f"{live_server}/api/layers/graves/features", headers=h, timeout=60,
                   json={"properties": {"status": "found"}, "geometry": parts})
    assert 400 <= r.status_code < 500 and r.json()["field"] == "geometry"
    assert sample_store.count("linear_features") == before
    ok = shapely.LineString(coords[:1000])
    assert ok.is_valid  # the same shape within the limit is accepted by the validator
    from geo.validation import geometry_problems

    assert geometry_problems(__import__("numpy").array([ok], dtype=object), ("LineString",)) == []


def test_behind_the_reverse_proxy_metrics_need_an_admin(store):
    """As in production: uvicorn trusts the proxy's X-Forwarded-For, so a remote caller is seen as remote."""
    import threading
    import time

    import uvicorn

    from api.app import create_app
    from api.routers.health import _is_loopback
    from geo.users import create_user

    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and not _is_loopback("10.1.2.3")
    assert not _is_loopback("unknown")
    create_user(store, "ops-admin", "ops-admin-password-1", "admin", actor="test")
    create_user(store, "ops-planner", "ops-planner-password-1", "planner", actor="test")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(server_settings(store)), host="127.0.0.1", port=port,
                                           log_level="warning", proxy_headers=True, forwarded_allow_ips="127.0.0.1"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base, remote = f"http://127.0.0.1:{port}", {"X-Forwarded-For": "10.1.2.3"}
    try:
        assert httpx.get(f"{base}/metrics").status_code == 200  # the local scraper
        r = httpx.get(f"{base}/metrics", headers=remote)
        assert r.status_code == 403 and r.json()["field"] == "Authorization"
        tokens = {}
        for name in ("ops-admin", "ops-planner"):
            tokens[name] = httpx.post(f"{base}/api/auth/login", headers=remote, json={
                "username": name, "password": f"{name}-password-1"}).json()["access_token"]
        planner = httpx.get(f"{base}/metrics", headers={**remote, "Authorization": f"Bearer {tokens['ops-planner']}"})
        assert planner.status_code == 403
        admin = httpx.get(f"{base}/metrics", headers={**remote, "Authorization": f"Bearer {tokens['ops-admin']}"})
        assert admin.status_code == 200 and "xincheng_http_requests_total" in admin.text
    finally:
        server.should_exit = True
        thread.join(timeout=10)
