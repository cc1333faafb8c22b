"""Liveness, what the service is serving, and its metrics."""

from __future__ import annotations

import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from api.deps import OptionalUserDep, StoreDep, client_address
from geo.errors import Forbidden
from geo.layers import ADMIN
from geo.messages import text
from geo.store.replica import ReadRouter

router = APIRouter(tags=["health 运行状态"])


@router.get("/api/health", summary="服务状态 Service health")
def health(request: Request, store: StoreDep) -> dict[str, object]:
    """Return ok with the backend, schema version and district adcode, and the read replica's state:
    whether public reads go to it, its lag in seconds and bytes of WAL, and the bound (#19)."""
    reads: ReadRouter = request.app.state.reads
    return {"status": "ok", "backend": store.dialect, "schema_version": store.schema_version(),
            "adcode": store.adcode, "replica": reads.state().as_dict()}


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@router.get("/metrics", summary="运行指标 Metrics (Prometheus text format)", response_class=PlainTextResponse)
def metrics(request: Request, user: OptionalUserDep) -> PlainTextResponse:
    """Return request counts and latencies of this worker, and its read replica's state and reads; for a
    scraper on the machine or an admin."""
    if not _is_loopback(client_address(request)) and (user is None or user["role"] != ADMIN):
        raise Forbidden(text("http.metrics_forbidden"), field="Authorization")
    reads: ReadRouter = request.app.state.reads
    return PlainTextResponse(request.app.state.metrics.exposition() + reads.exposition()
                             + request.app.state.import_slots.exposition(),
                             media_type="text/plain; version=0.0.4; charset=utf-8")
