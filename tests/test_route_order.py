"""The order the app includes its routers in decides speed only, never which route answers (issue #15).

The public QR lookups are tried right after the health check (api/app.py) so that a resident's scan does
not first try every officer route; that is safe only while no route's paths overlap those of a route in
another router (within a router the order is its own, and kept).
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Match

from api.app import create_app
from api.settings import Settings
from tests.test_offline_pages import _walk

WHOLE_NUMBER = "-?[0-9]+"


def _sample_path(route: APIRoute, *, text: str) -> str:
    """Return a path ``route`` answers: each parameter filled with 12 (whole numbers) or ``text``."""
    def value(m: re.Match[str]) -> str:
        return "12" if route.param_convertors[m[1]].regex in ("[0-9]+", WHOLE_NUMBER) else text
    return re.sub(r"\{(\w+)(?::\w+)?\}", value, route.path)


@pytest.fixture(scope="module")
def routers(tmp_path_factory) -> list[list[APIRoute]]:
    """The API routes of each router the app includes, in the order a request tries them."""
    folder = tmp_path_factory.mktemp("routes")
    app = create_app(Settings(database_url=f"sqlite:///{folder / 'never-opened.db'}", secret_key="x" * 40))
    return [found for top in app.router.routes if (found := list(_walk([top])))]


@pytest.fixture(scope="module")
def routes(routers: list[list[APIRoute]]) -> list[APIRoute]:
    return [route for router in routers for route in router]


@pytest.mark.parametrize("text", ["s12", "lookup", "report", "plate.svg", "新城区"])
def test_no_route_takes_the_paths_of_a_route_in_another_router(routers: list[list[APIRoute]],
                                                                routes: list[APIRoute], text: str):
    # The words routes use as fixed segments ("lookup", "report") as a parameter's value too: inside one router
    # /api/plates/{plate_uid}/plate.svg with the uid "lookup" is /api/plates/lookup/{code}'s, by that router's order.
    assert len(routes) > 200
    router_of = {id(route): i for i, router in enumerate(routers) for route in router}
    taken = []
    for route in routes:
        for method in sorted(route.methods):
            scope = {"type": "http", "path": _sample_path(route, text=text), "method": method, "root_path": "",
                     "headers": [], "query_string": b""}
            first = next(r for r in routes if r.matches(scope)[0] == Match.FULL)
            if router_of[id(first)] != router_of[id(route)]:
                taken.append(f"{method} {scope['path']} ({route.path}) goes to {first.path}")
    assert not taken, taken


def test_the_public_scans_are_tried_before_any_officer_route(routes: list[APIRoute]):
    paths = [r.path for r in routes]
    scans = [paths.index(p) for p in ("/p/{code}", "/api/plates/lookup/{code}", "/a/{code}", "/s/{code}",
                                      "/api/standard-addresses/lookup/{code}")]
    before = paths[:max(scans)]
    assert len(before) < 40
    assert not [p for p in before if p.startswith(("/officer", "/api/layers", "/api/placenames", "/api/users"))]
