"""Door-plate numbering along a street (rules DP-01..DP-05).

A street is numbered from its start (``numbering_start``: the first or the last vertex of its
centreline), odd numbers on one side (``odd_side`` relative to the direction of travel), even on the
other, rising with the distance along the street. Works in metres (EPSG:4546).

DP-05 ("no lucky-number gaps") is configurable (``data/placenames/numbering.toml``, read by
:func:`load_numbering_settings`): when on, the check reports a number of the set (4, 13, 14 by
default) missing between its two same-parity neighbours, and suggestions never leave such a number
as the only gap before them. The pure functions take the set as ``lucky`` (empty: the rule is off).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import shapely

from geo.errors import InputError
from geo.messages import label, text, value_label
from geo.settings_files import load_settings

FRONTAGE_M = 20.0  # metres of frontage per number step when leaving room for later plates
DEFAULT_NUMBERING_FILE = Path(__file__).resolve().parents[2] / "data" / "placenames" / "numbering.toml"


@dataclass(frozen=True)
class NumberingSettings:
    """DP-05: whether lucky-number gaps are refused, the numbers it covers, its basis and source."""

    dp05: bool = True
    numbers: frozenset[int] = frozenset({4, 13, 14})
    basis: str = "sourced"
    source: str = ""

    @property
    def lucky(self) -> frozenset[int]:
        """Return the numbers DP-05 covers when it is on, else none."""
        return self.numbers if self.dp05 else frozenset()


def parse_numbering_settings(data: dict[str, Any], *, path: str = "") -> NumberingSettings:
    """Return the settings of a parsed TOML table (its ``[dp05]`` section), checked key by key."""
    section = data.get("dp05")
    if not isinstance(section, dict):
        raise _bad_setting(path, "dp05", repr(section))
    enabled = section.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _bad_setting(path, "dp05.enabled", repr(enabled))
    numbers = section.get("numbers", [4, 13, 14])
    if (not isinstance(numbers, list) or not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 99999
                                                 for n in numbers)):
        raise _bad_setting(path, "dp05.numbers", repr(numbers))
    return NumberingSettings(enabled, frozenset(numbers), str(section.get("basis", "")), str(section.get("source", "")))


def _bad_setting(path: str, key: str, value: str) -> InputError:
    return InputError(text("place_codes.numbering_bad", path=path, key=key, value=value), field="settings")


def load_numbering_settings(path: str | Path | None = None) -> NumberingSettings:
    """Read the numbering settings (default: ``data/placenames/numbering.toml``), once per version of the file."""
    file = Path(path) if path is not None else DEFAULT_NUMBERING_FILE
    return load_settings(file, parse_numbering_settings, unreadable="place_codes.numbering_unreadable")

# A street centreline as shapely.line_merge returns it (metres).
StreetLine: TypeAlias = shapely.LineString | shapely.MultiLineString | shapely.GeometryCollection


@dataclass(frozen=True)
class Position:
    """Where plates stand along a street: distance from its start and side."""

    chainage_m: np.ndarray
    side: np.ndarray  # "left" | "right"


def oriented(line: StreetLine, numbering_start: str) -> StreetLine:
    """Return the street line running from where numbering starts (DP-01)."""
    if numbering_start not in ("start", "end"):
        raise InputError(text("plates.choice", field=label("numbering_start"), value=repr(numbering_start),
                              allowed="start, end"), field="numbering_start")
    return line.reverse() if numbering_start == "end" else line


def positions(line: StreetLine, xy: np.ndarray) -> Position:
    """Return chainage and side of points relative to a (metric, oriented) street line."""
    pts = shapely.points(np.asarray(xy, dtype=float).reshape(-1, 2))
    assert isinstance(pts, np.ndarray)  # an (n, 2) array of coordinates gives an array of points
    d = shapely.line_locate_point(line, pts)
    here = shapely.get_coordinates(shapely.line_interpolate_point(line, d))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(line, np.minimum(d + 1, line.length)))
    behind = shapely.get_coordinates(shapely.line_interpolate_point(line, np.maximum(d - 1, 0)))
    t = ahead - behind
    off = np.asarray(xy, dtype=float).reshape(-1, 2) - here
    cross = t[:, 0] * off[:, 1] - t[:, 1] * off[:, 0]
    return Position(d, np.where(cross >= 0, "left", "right"))


def parity_of(side: str, odd_side: str) -> int:
    """Return 1 for odd numbers, 0 for even, on ``side`` (DP-02)."""
    if odd_side not in ("left", "right"):
        raise InputError(text("plates.choice", field=label("odd_side"), value=repr(odd_side), allowed="left, right"),
                         field="odd_side")
    return 1 if side == odd_side else 0


def _with_parity(value: float, parity: int, low: int, high: int | None) -> int | None:
    """Return the number of ``parity`` nearest ``value`` strictly between ``low`` and ``high``."""
    n = round(value)
    if n % 2 != parity:
        n += 1 if value >= n else -1
    first = low + 1 if (low + 1) % 2 == parity else low + 2
    n = max(n, first)
    if high is not None and n >= high:
        n = high - 2 if (high - 2) % 2 == parity else high - 1
        if n <= low:
            return None
    return n


def _no_lucky_gap(number: int, low_n: int, taken: Collection[int], lucky: Collection[int]) -> int:
    """DP-05: take a free lucky number rather than leave it as the only gap before ``number``."""
    below = number - 2
    if below in lucky and below - 2 == low_n and below not in taken and below >= 1:
        return below
    return number


def suggest(line: StreetLine, existing_xy: np.ndarray, existing_numbers: np.ndarray, new_xy: np.ndarray, *,
            odd_side: str = "left", lucky: Collection[int] = ()) -> list[dict]:
    """Suggest numbers for new plates: the right parity, in order, leaving room; else a suffix (12-1).

    ``lucky``: the numbers DP-05 covers (empty: off); a suggestion never leaves one of them as the only
    gap between the plate before and the new one.
    """
    old = positions(line, existing_xy) if len(existing_xy) else Position(np.zeros(0), np.zeros(0, dtype=object))
    new = positions(line, new_xy)
    nums = np.asarray(existing_numbers, dtype=int)
    out = []
    for chain, side in zip(new.chainage_m, new.side, strict=True):
        parity = parity_of(side, odd_side)
        same = (old.side == side) & (nums % 2 == parity)
        c, n = old.chainage_m[same], nums[same]
        order = np.argsort(c)
        c, n = c[order], n[order]
        k = int(np.searchsorted(c, chain))
        low_n = int(n[k - 1]) if k > 0 else parity - 2 if parity else 0
        low_c = float(c[k - 1]) if k > 0 else 0.0
        high_n = int(n[k]) if k < len(n) else None
        high_c = float(c[k]) if k < len(n) else None
        if high_n is None or high_c is None:  # both or neither: no neighbour ahead
            steps = max(1, round((chain - low_c) / FRONTAGE_M))
            number = low_n + 2 * steps
            if number < 1:
                number = 1 if parity else 2
            suffix = ""
        else:
            frac = (chain - low_c) / max(high_c - low_c, 1e-9)
            number = _with_parity(low_n + frac * (high_n - low_n), parity, low_n, high_n)
            suffix = ""
            if number is None:  # no free number between the neighbours: a sub-number of the lower one
                number, suffix = max(low_n, 1 if parity else 2), "-1"
        if lucky and not suffix:
            number = _no_lucky_gap(int(number), low_n, set(n.tolist()), lucky)
        out.append({"number": int(number), "suffix": suffix, "side": side, "chainage_m": round(float(chain), 1)})
    return out


def check(line: StreetLine, xy: np.ndarray, numbers: np.ndarray, suffixes: list[str], *,
          odd_side: str = "left", lucky: Collection[int] = ()) -> list[dict]:
    """Return problems: wrong side for the parity (DP-02), out of order (DP-03), duplicates (DP-04),
    and with ``lucky`` (DP-05 on) a lucky number skipped between its two same-parity neighbours."""
    pos = positions(line, xy)
    nums = np.asarray(numbers, dtype=int)
    problems = []
    seen: dict[tuple[int, str], int] = {}
    for i, (num, suf) in enumerate(zip(nums, suffixes, strict=True)):
        key = (int(num), suf or "")
        if key in seen:
            problems.append({"index": i, "rule": "DP-04", "message": text("plates.dp04_twice", number=f"{num}{suf}")})
        seen[key] = i
        expected = parity_of(pos.side[i], odd_side)
        if num % 2 != expected:
            wrong_side = "plates.dp02_odd_side" if expected else "plates.dp02_even_side"
            problems.append({"index": i, "rule": "DP-02",
                             "message": text(wrong_side, number=num, side=value_label(str(pos.side[i])))})
    for side in ("left", "right"):
        idx = np.flatnonzero((pos.side == side) & (nums % 2 == parity_of(side, odd_side)))
        idx = idx[np.argsort(pos.chainage_m[idx])]
        best = -1
        for j in idx:
            if nums[j] < best:
                problems.append({"index": int(j), "rule": "DP-03",
                                 "message": text("plates.dp03_order", number=int(nums[j]), before=best)})
            best = max(best, int(nums[j]))
    if lucky:
        problems += _lucky_gaps(pos, nums, odd_side=odd_side, lucky=lucky)
    return problems


def _lucky_gaps(pos: Position, nums: np.ndarray, *, odd_side: str, lucky: Collection[int]) -> list[dict]:
    """DP-05: each lucky number missing on its side while the numbers 2 below and 2 above are there."""
    problems = []
    for side in ("left", "right"):
        parity = parity_of(side, odd_side)
        here = (pos.side == side) & (nums % 2 == parity)
        present = set(nums[here].tolist())
        for number in sorted(n for n in lucky if n % 2 == parity and n - 2 >= 1):
            if number not in present and number - 2 in present and number + 2 in present:
                index = int(np.flatnonzero(here & (nums == number + 2))[0])
                problems.append({"index": index, "rule": "DP-05",
                                 "message": text("place_codes.dp05", number=number, low=number - 2, high=number + 2)})
    return problems


def merged_street(parts_m) -> StreetLine:
    """Return one line for a street's segments; disconnected parts are ordered west/south first."""
    merged = shapely.line_merge(shapely.union_all(np.asarray(list(parts_m), dtype=object)))
    if isinstance(merged, shapely.MultiLineString):
        parts = sorted(merged.geoms, key=lambda g: g.bounds[:2])
        merged = shapely.MultiLineString(parts)
    return merged
