"""Liveness and what the service is serving."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import StoreDep

router = APIRouter(prefix="/api", tags=["health 运行状态"])


@router.get("/health", summary="服务状态 Service health")
def health(store: StoreDep) -> dict[str, object]:
    """Return ok with the backend, schema version and district adcode."""
    return {"status": "ok", "backend": store.dialect, "schema_version": store.schema_version(),
            "adcode": store.adcode}
