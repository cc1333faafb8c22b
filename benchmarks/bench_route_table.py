"""A worker's route table: the documented error answers named by reference against the same answers as models,
in the same run.

FastAPI (0.165) builds each route of an app on the first request that looks past it: its parameters, its
dependencies and a pydantic field for every response given a ``model``. The service lists nine error statuses
(``api.errors.ERROR_RESPONSES``) on ~140 documented routes. Named as ``model: ErrorBody`` (the reference, what
the service did before) that is one pydantic field per status per route per app; named by a ``$ref`` to the
ErrorBody component (``api.errors.document_error_body``) it is none. Both OpenAPI schemas are compared first:
the same operations and statuses, each error answer referring to ErrorBody.

Each figure is the median of ``--repeat`` fresh apps (``api.app.create_app``) answering one request for an
address no route serves, which builds every route; the time is that request's. This is what every worker pays
on its first requests after a start, and every test server.
Run: .venv/bin/python -m benchmarks.bench_route_table [--repeat 9]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

import api.app
from api.errors import ERROR_RESPONSES, ErrorBody
from api.settings import Settings
from geo.store import Store


@contextmanager
def error_answers_as_models() -> Iterator[None]:
    """Let ``create_app`` list the error answers with ``model: ErrorBody`` (the reference)."""
    kept = api.app.ERROR_RESPONSES
    api.app.ERROR_RESPONSES = {status: {"model": ErrorBody, "description": answer["description"]}
                               for status, answer in ERROR_RESPONSES.items()}
    try:
        yield
    finally:
        api.app.ERROR_RESPONSES = kept


async def _first_unmatched_request_s(settings: Settings) -> tuple[float, dict[str, Any]]:
    app = api.app.create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        t0 = time.perf_counter()
        r = await client.get("/no-route-serves-this")
        elapsed_s = time.perf_counter() - t0
    assert r.status_code == 404, r.status_code
    return elapsed_s, app.openapi()


def _error_refs(spec: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    """(path, method, status) → the schema each error answer refers to."""
    return {(path, method, status): answer["content"][next(iter(answer["content"]))]["schema"]["$ref"]
            for path, operations in spec["paths"].items() for method, operation in operations.items()
            for status, answer in operation["responses"].items()
            if status in {str(s) for s in ERROR_RESPONSES} and "ErrorBody" in str(answer)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # one access log line per request is not what is measured
    folder = tempfile.mkdtemp(prefix="bench_route_table_")
    url = f"sqlite:///{folder}/bench.db"
    store = Store.open(url)
    store.migrate()
    store.close()
    settings = Settings(database_url=url, secret_key="x" * 40, cookie_secure=False)
    asyncio.run(_first_unmatched_request_s(settings))  # imports and module-level caches, outside the timing
    by_ref: list[float] = []
    as_model: list[float] = []
    specs: dict[str, dict[str, Any]] = {}
    for _ in range(args.repeat):  # alternating, so both meet the same machine
        elapsed_s, specs["ref"] = asyncio.run(_first_unmatched_request_s(settings))
        by_ref.append(elapsed_s)
        with error_answers_as_models():
            elapsed_s, specs["model"] = asyncio.run(_first_unmatched_request_s(settings))
        as_model.append(elapsed_s)
    refs, models = _error_refs(specs["ref"]), _error_refs(specs["model"])
    assert refs.keys() == models.keys() and len(refs) > 1000, (len(refs), len(models))
    assert set(refs.values()) == set(models.values()) == {"#/components/schemas/ErrorBody"}
    ours, reference = statistics.median(by_ref), statistics.median(as_model)
    print(f"routes built on a fresh app's first unmatched request, median of {args.repeat}:")
    print(f"  error answers by reference (ours): {ours * 1000:7.1f} ms")
    print(f"  error answers as models (before):  {reference * 1000:7.1f} ms")
    print(f"  ratio: {ours / reference:.2f}x ({len(refs)} documented error answers in both schemas)")


if __name__ == "__main__":
    main()
