"""Build a SQLite R*Tree in one pass (sort-tile-recursive packing), as GDAL builds a GeoPackage's.

SQLite's R*Tree module inserts one entry at a time: each insert walks the tree choosing the child
that grows least and splits full nodes, about 13 µs an entry here, so filling the index of 34,710
door plates costs more than writing the plates themselves. A bulk insert into a table whose index is
still empty (a district's first load of a layer: the big imports) packs the entries into full nodes in
sort-tile-recursive order (Leutenegger et al., 1997) instead and writes the nodes straight into the
index's own tables, in the format the module reads and writes (sqlite3's ``ext/rtree/rtree.c``):

* ``<index>_node(nodeno, data)``: node 1 is the root; a node is a blob of the length the root was created
  with: a 2-byte big-endian depth of the tree (written in the root only), a 2-byte cell count, then per
  cell an 8-byte big-endian id (an entry's row id in a leaf, a child's node number above) and the box
  ``minx, maxx, miny, maxy`` as big-endian 32-bit floats;
* ``<index>_rowid(rowid, nodeno)``: the leaf of each entry; ``<index>_parent(nodeno, parentnode)``: the
  parent of each node but the root.

The 32-bit bounds are rounded as the module rounds them (a lower bound down, an upper bound up), so the
index holds the same boxes as after inserts one by one, and every later insert, update and delete (by
the table's triggers) works on it as on one the module built. ``rtreecheck()`` checks the result in the
tests. Everything runs in the caller's transaction.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

# rtree.c's rounding factors: a double that does not fit a float is moved by one part in 2^23 first.
_TOWARDS_ZERO = 1.0 - 1.0 / 8388608.0
_AWAY_FROM_ZERO = 1.0 + 1.0 / 8388608.0
_HEADER_BYTES = 4
_CELL = np.dtype([("id", ">i8"), ("minx", ">f4"), ("maxx", ">f4"), ("miny", ">f4"), ("maxy", ">f4")])


def float32_down(values: np.ndarray) -> np.ndarray:
    """Return ``values`` as 32-bit floats no larger than them (rtree.c's ``rtreeValueDown``)."""
    d = np.asarray(values, dtype=np.float64)
    f = d.astype(np.float32)
    over = f.astype(np.float64) > d
    f[over] = (d[over] * np.where(d[over] < 0, _AWAY_FROM_ZERO, _TOWARDS_ZERO)).astype(np.float32)
    return f


def float32_up(values: np.ndarray) -> np.ndarray:
    """Return ``values`` as 32-bit floats no smaller than them (rtree.c's ``rtreeValueUp``)."""
    d = np.asarray(values, dtype=np.float64)
    f = d.astype(np.float32)
    under = f.astype(np.float64) < d
    f[under] = (d[under] * np.where(d[under] < 0, _TOWARDS_ZERO, _AWAY_FROM_ZERO)).astype(np.float32)
    return f


def _tiled(cx: np.ndarray, cy: np.ndarray, capacity: int) -> np.ndarray:
    """Return the order of boxes (by centre) that fills nodes of ``capacity`` tile by tile: vertical slabs
    of whole nodes by x, each sorted by y."""
    n = len(cx)
    slabs = math.ceil(math.sqrt(math.ceil(n / capacity)))
    by_x = np.argsort(cx, kind="stable")
    slab = np.arange(n) // (slabs * capacity)
    return by_x[np.lexsort((cy[by_x], slab))]


def _boxes_of_nodes(cells: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Return one cell per node (id left 0): the box around the node's cells."""
    out = np.zeros(len(starts), dtype=_CELL)
    out["minx"] = np.minimum.reduceat(cells["minx"], starts)
    out["maxx"] = np.maximum.reduceat(cells["maxx"], starts)
    out["miny"] = np.minimum.reduceat(cells["miny"], starts)
    out["maxy"] = np.maximum.reduceat(cells["maxy"], starts)
    return out


def pack_nodes(ids: np.ndarray, minx: np.ndarray, maxx: np.ndarray, miny: np.ndarray, maxy: np.ndarray, *,
               node_bytes: int) -> tuple[list[tuple[int, bytes]], list[tuple[int, int]], list[tuple[int, int]]]:
    """Return the rows of the index's node, rowid and parent tables for these entries (double bounds).

    Pure: no database. ``node_bytes`` is the length of a node blob (the root's).
    """
    capacity = (node_bytes - _HEADER_BYTES) // _CELL.itemsize
    cells = np.zeros(len(ids), dtype=_CELL)
    cells["id"], cells["minx"], cells["maxx"] = ids, float32_down(minx), float32_up(maxx)
    cells["miny"], cells["maxy"] = float32_down(miny), float32_up(maxy)
    levels: list[tuple[np.ndarray, int]] = []  # below the root: each level's cells in node order, first node
    next_number = 2  # the root is node 1
    while len(cells) > capacity:
        centre_x = cells["minx"].astype(np.float64) + cells["maxx"]
        centre_y = cells["miny"].astype(np.float64) + cells["maxy"]
        cells = cells[_tiled(centre_x, centre_y, capacity)]
        levels.append((cells, next_number))
        boxes = _boxes_of_nodes(cells, np.arange(0, len(cells), capacity))
        boxes["id"] = next_number + np.arange(len(boxes))
        next_number += len(boxes)
        cells = boxes
    levels.append((cells, 1))  # the root's cells
    depth = len(levels) - 1
    nodes: list[tuple[int, bytes]] = []
    parents: list[tuple[int, int]] = []
    for k, (level, first) in enumerate(levels):
        holder = first + np.arange(len(level)) // capacity  # the node of each cell
        if k == 0:
            rowids = list(zip(level["id"].tolist(), holder.tolist(), strict=True))
        else:  # each cell here is a node of the level below
            parents.extend(zip(level["id"].tolist(), holder.tolist(), strict=True))
        for j in range(max(1, math.ceil(len(level) / capacity))):  # the root even when empty
            chunk = level[j * capacity:(j + 1) * capacity]
            number = first + j
            header = (depth if number == 1 else 0).to_bytes(2, "big") + len(chunk).to_bytes(2, "big")
            body = header + chunk.tobytes()
            nodes.append((number, body + bytes(node_bytes - len(body))))
    return nodes, rowids, parents


def _packable_entries(entries: Sequence[Sequence[Any]]) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the ids and the (n, 4) bounds of entries that can all be packed, else None: every bound a number
    (not text, None or NaN), each lower bound at most its upper one (the module refuses an upside-down box, and
    takes a missing bound as the trigger gives it: such entries go through it one by one)."""
    ids = np.fromiter((row[0] for row in entries), dtype=np.int64, count=len(entries))
    try:
        bounds = np.array(entries, dtype=np.float64)[:, 1:5]
    except (TypeError, ValueError):  # a value that is no number (text, None): one by one, as the module would
        return None
    numbers = {type(v) for row in entries for v in row[1:5]} <= {float, int, bool}  # text such as "1.5" converts
    if not numbers or np.isnan(bounds).any():
        return None
    packable = (bounds[:, 0] <= bounds[:, 1]) & (bounds[:, 2] <= bounds[:, 3])
    return (ids, bounds) if packable.all() else None


def fill_rtree(connection: sqlite3.Connection, *, index: str, rows: Sequence[Sequence[Any]]) -> str:
    """Add entries ``(id, minx, maxx, miny, maxy)`` to R*Tree ``index``; return how (``"packed"``, ``"inserted"``).

    An empty index is packed in one pass (:func:`pack_nodes`); entries added to a filled one are inserted
    through the module, one by one, as are entries when one has a bound missing or NaN or a lower bound
    above its upper one (the module then does with them what it does from the trigger: refuses or stores).
    Rows whose ``minx`` is None (no geometry) are left out, as the table's insert trigger leaves them out.
    ``connection`` is the driver's connection inside the caller's write transaction; ``index`` is a name
    from the schema (never user text).
    """
    entries = [row for row in rows if row[1] is not None]
    if not entries:
        return "inserted"
    filled = connection.execute(f'SELECT 1 FROM "{index}_rowid" LIMIT 1').fetchone() is not None
    packable = None if filled else _packable_entries(entries)
    if packable is None:
        connection.executemany(f'INSERT INTO "{index}" (id, minx, maxx, miny, maxy) VALUES (?, ?, ?, ?, ?)', entries)
        return "inserted"
    ids, bounds = packable
    node_bytes = connection.execute(f'SELECT length(data) FROM "{index}_node" WHERE nodeno = 1').fetchone()[0]
    nodes, rowids, parents = pack_nodes(ids, bounds[:, 0], bounds[:, 1], bounds[:, 2], bounds[:, 3],
                                        node_bytes=node_bytes)
    connection.execute(f'DELETE FROM "{index}_node"')  # the empty root the module made
    connection.executemany(f'INSERT INTO "{index}_node" (nodeno, data) VALUES (?, ?)', nodes)
    connection.executemany(f'INSERT INTO "{index}_rowid" (rowid, nodeno) VALUES (?, ?)', rowids)
    connection.executemany(f'INSERT INTO "{index}_parent" (nodeno, parentnode) VALUES (?, ?)', parents)
    return "packed"
