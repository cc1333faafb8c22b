"""The region's outlines: N districts side by side in a brick tiling whose neighbours share their edges exactly.

Rows of equal rectangular tiles, every other row shifted by half a tile, so that three districts
meet at every junction (as real county boundaries do; a square grid would make four meet) and each
district has up to six neighbours. Each edge wiggles like a boundary that follows a ridge or a
stream. Every tile is a translate of one outline: its top-left half edge is the bottom-right half of
the tile above-left, its top-right half the bottom-left half of the one above-right, its left side the
right side of its west neighbour. So two neighbours' shared vertices are the same numbers: tile
origins are whole metres and the wiggles are multiples of 1/1024 m, so every sum below is exact
(no rounding), and a vertex moved between frames by whole metres stays the same vertex.

All in metres (EPSG:4546). The sample's frame is where the sample generator's fixed places are (the
urban core's box, the arterials, the rivers): each district is built there (:data:`HOME_ORIGIN_M`)
and then moved to its own place in the region (its ``shift_m``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

TILE_WIDTH_M = 32_000      # west to east (an even number of metres: the half-tile shift is whole metres)
TILE_HEIGHT_M = 30_000     # south to north
# The tile in the sample's frame: its urban core is the sample's box (URBAN_BOX_4490) cut by the tile's
# wiggly south and west edges (about 78 km²; 新城区's is 56 km²), the rest is the town and the mountains.
HOME_ORIGIN_M = (553_000, 4_520_400)
# The region's south-west tile: east of Hohhot, clear of the real 新城区 (the sample may share the database).
REGION_ORIGIN_M = (649_000, 4_520_400)
WIGGLE_M = 350.0           # how far an edge strays from the straight line, at most
_VERTEX_SPACING_M = 800.0  # between an edge's vertices
_TICK = 1024.0             # wiggles are whole multiples of 1/1024 m (exact binary fractions)


@dataclass(frozen=True)
class Tile:
    """One district's place in the tiling: row (south to north), column (west to east), south-west corner."""

    index: int
    row: int
    col: int
    origin_m: tuple[int, int]


@dataclass(frozen=True)
class Profiles:
    """The three wiggles every tile shares, as offsets (metres) from an edge's start (its west or south end):
    ``half_a`` the top-left and bottom-right half edges, ``half_b`` the top-right and bottom-left halves,
    ``side`` the west and east sides."""

    half_a: np.ndarray
    half_b: np.ndarray
    side: np.ndarray


def columns_for(count: int) -> int:
    """Return the number of columns of a region of ``count`` districts (as square as the count allows)."""
    return max(1, math.ceil(math.sqrt(count)))


def tiles(count: int) -> list[Tile]:
    """Return the tiles of ``count`` districts, row by row from the south-west."""
    cols = columns_for(count)
    out = []
    for index in range(count):
        row, col = divmod(index, cols)
        x = REGION_ORIGIN_M[0] + col * TILE_WIDTH_M + (row % 2) * (TILE_WIDTH_M // 2)
        out.append(Tile(index=index, row=row, col=col, origin_m=(x, REGION_ORIGIN_M[1] + row * TILE_HEIGHT_M)))
    return out


def neighbours(tile: Tile, every: list[Tile]) -> list[Tile]:
    """Return the tiles that share an edge with ``tile``: east and west, and two in each adjacent row."""
    out = []
    x0, y0 = tile.origin_m
    for other in every:
        if other.index == tile.index:
            continue
        dx, dy = abs(other.origin_m[0] - x0), abs(other.origin_m[1] - y0)
        beside = dy == 0 and dx == TILE_WIDTH_M
        above_or_below = dy == TILE_HEIGHT_M and dx == TILE_WIDTH_M // 2
        if beside or above_or_below:
            out.append(other)
    return out


def _wiggle(rng: np.random.Generator, length_m: float) -> np.ndarray:
    """Return (along, across) offsets of a wiggly edge of ``length_m``: straight at both ends, at most
    :data:`WIGGLE_M` across, every value a multiple of 1/1024 m."""
    n = max(int(length_m // _VERTEX_SPACING_M), 2)
    along = np.linspace(0.0, length_m, n + 1)
    walk = np.concatenate([[0.0], np.cumsum(rng.normal(0.0, 1.0, n))])
    walk -= np.linspace(walk[0], walk[-1], n + 1)  # back to the line at the far end
    peak = float(np.abs(walk).max()) or 1.0
    across = walk / peak * WIGGLE_M * float(rng.uniform(0.5, 1.0))
    return np.round(np.column_stack([along, across]) * _TICK) / _TICK


def profiles(seed: int) -> Profiles:
    """Return the region's wiggles, drawn from its seed (the same seed, the same outlines)."""
    rng = np.random.default_rng([seed, 19])
    half = _wiggle(rng, TILE_WIDTH_M / 2), _wiggle(rng, TILE_WIDTH_M / 2)
    side = _wiggle(rng, TILE_HEIGHT_M)[:, ::-1]  # along runs south to north: (across, along)
    return Profiles(half_a=half[0], half_b=half[1], side=side)


def outline(origin_m: tuple[int, int], shapes: Profiles) -> shapely.Polygon:
    """Return the tile whose south-west corner is ``origin_m``, counter-clockwise from that corner."""
    x, y = origin_m
    half = TILE_WIDTH_M // 2

    def edge(start: tuple[int, int], offsets: np.ndarray) -> np.ndarray:
        return np.column_stack([start[0] + offsets[:, 0], start[1] + offsets[:, 1]])

    bottom = np.vstack([edge((x, y), shapes.half_b)[:-1], edge((x + half, y), shapes.half_a)[:-1]])
    east = edge((x + TILE_WIDTH_M, y), shapes.side)[:-1]
    top = np.vstack([edge((x, y + TILE_HEIGHT_M), shapes.half_a),
                     edge((x + half, y + TILE_HEIGHT_M), shapes.half_b)[1:]])[::-1][:-1]
    west = edge((x, y), shapes.side)[::-1]
    return shapely.Polygon(np.vstack([bottom, east, top, west]))


def shift_to(tile: Tile) -> tuple[float, float]:
    """Return the whole metres that move a district built in the sample's frame to ``tile``'s place."""
    return float(tile.origin_m[0] - HOME_ORIGIN_M[0]), float(tile.origin_m[1] - HOME_ORIGIN_M[1])


def in_home_frame(tile: Tile, of: Tile) -> tuple[int, int]:
    """Return ``tile``'s origin in the frame where ``of`` is built (the sample's): its place relative to ``of``."""
    return (HOME_ORIGIN_M[0] + tile.origin_m[0] - of.origin_m[0],
            HOME_ORIGIN_M[1] + tile.origin_m[1] - of.origin_m[1])
