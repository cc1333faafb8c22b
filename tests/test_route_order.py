"""The order the app includes its routers in decides speed only, never which route answers (issue #15).

The public scans (door plates, standard addresses, street signs) are tried right after the health check
(api/app.py), so that a resident's scan does not first try every officer route. That is safe while no path
and method is answered by routes of two routers; within a router the order is its own, and kept.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from api.app import create_app
from api.settings import Settings
from tests.test_offline_pages import _walk

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
WHOLE_NUMBERS = ("[0-9]+", "-?[0-9]+")
# The one path shape two routers share: a plate uid equal to "lookup" before a decision (only POST), and the
# public lookup (only GET) of the code "status" or "replace". No method is answered by both, but another method's
# 405 lists the methods of the route tried first: the public router's, as before the public scans moved up.
SHARED_SHAPES = {"/api/plates/lookup/{code}": ("/api/plates/{plate_uid}/status", "/api/plates/{plate_uid}/replace")}


@pytest.fixture(scope="module")
def routers(tmp_path_factory) -> list[list[APIRoute]]:
    """The API routes of each router the app includes, in the order a request tries them."""
    folder = tmp_path_factory.mktemp("routes")
    app = create_app(Settings(database_url=f"sqlite:///{folder / 'never-opened.db'}", secret_key="x" * 40))
    return [found for top in app.router.routes if (found := list(_walk([top])))]


@pytest.fixture(scope="module")
def routes(routers: list[list[APIRoute]]) -> list[APIRoute]:
    return [route for router in routers for route in router]


def _sample_paths(routes: list[APIRoute]) -> set[str]:
    """Return paths the routes answer, each text parameter filled with every fixed segment any route has
    ("lookup", "report", "buildings", "plate.svg", …), with Chinese and with Mongolian text."""
    texts = {"s12", "新城区", "ᠬᠥᠬᠡᠬᠣᠲᠠ"} | {seg for r in routes for seg in r.path.split("/") if seg and "{" not in seg}
    paths = set()
    for route in routes:
        for text in texts:
            paths.add(re.sub(r"\{(\w+)(?::\w+)?\}",
                             lambda m, route=route, text=text: "12" if route.param_convertors[m[1]].regex
                             in WHOLE_NUMBERS else text, route.path))
    return paths


def test_no_path_is_answered_by_routes_of_two_routers(routers: list[list[APIRoute]], routes: list[APIRoute]):
    assert len(routes) > 200
    router_of = {id(route): i for i, router in enumerate(routers) for route in router}
    paths = _sample_paths(routes)
    assert len(paths) > 2_000
    answered_twice, shapes_shared = [], set()
    for path in sorted(paths):
        matching = [r for r in routes if r.path_regex.match(path)]
        for method in METHODS:
            taking = {router_of[id(r)] for r in matching if method in r.methods}
            if len(taking) > 1:
                answered_twice.append(f"{method} {path}: {[r.path for r in matching if method in r.methods]}")
        if len({router_of[id(r)] for r in matching}) > 1:
            shapes_shared.add((matching[0].path, *sorted(r.path for r in matching[1:])))
    assert answered_twice == []
    assert shapes_shared <= {(first, later) for first, laters in SHARED_SHAPES.items() for later in laters}
    for first, laters in SHARED_SHAPES.items():  # the route a 405 names is the one tried first, as before
        order = [r.path for r in routes]
        assert all(order.index(first) < order.index(later) for later in laters)


def test_the_public_scans_are_tried_before_any_officer_route(routes: list[APIRoute]):
    paths = [r.path for r in routes]
    scans = [paths.index(p) for p in ("/p/{code}", "/api/plates/lookup/{code}", "/a/{code}", "/s/{code}",
                                      "/api/standard-addresses/lookup/{code}")]
    before = paths[:max(scans)]
    assert len(before) < 40
    assert not [p for p in before if p.startswith(("/officer", "/api/layers", "/api/placenames", "/api/users"))]
