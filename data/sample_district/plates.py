"""Door plates: positions along both sides of the streets, chosen per community and village to hold
its households, numbered per street by the rules of :mod:`geo.plates.numbering` (DP-01..DP-04)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo.plates.numbering import merged_street, oriented, parity_of, positions


def _plate_candidates(streets: pd.DataFrame) -> pd.DataFrame:
    """Return plate positions along both sides of each street, with chainage and side."""
    out: dict[str, list] = {"street_idx": [], "chainage": [], "side": [], "x": [], "y": []}
    for sid, grade, street_class, line in zip(streets.index, streets["grade"], streets["street_class"],
                                              streets["geometry"], strict=True):
        if grade != 0 or street_class in ("expressway",):
            continue
        rural = street_class in ("village", "rural")
        spacing, offset = (24.0, 9.0) if rural else (20.0, 14.0)
        if street_class == "rural":
            spacing = 120.0
        chain = np.arange(spacing / 2, line.length - 5, spacing)
        if len(chain) == 0:
            continue
        p = shapely.get_coordinates(shapely.line_interpolate_point(line, chain))
        ahead = shapely.get_coordinates(shapely.line_interpolate_point(line, np.minimum(chain + 1, line.length)))
        behind = shapely.get_coordinates(shapely.line_interpolate_point(line, np.maximum(chain - 1, 0)))
        t = ahead - behind
        t /= np.hypot(t[:, 0], t[:, 1])[:, None]
        left = np.column_stack([-t[:, 1], t[:, 0]])
        for side, sign in (("left", 1.0), ("right", -1.0)):
            xy = p + sign * offset * left
            for key, values in (("street_idx", np.full(len(chain), sid)), ("chainage", chain),
                                ("side", np.full(len(chain), side, dtype=object)), ("x", xy[:, 0]), ("y", xy[:, 1])):
                out[key].append(values)
    return pd.DataFrame({key: np.concatenate(parts) for key, parts in out.items()})


def _assign_units(xs: np.ndarray, ys: np.ndarray, units: pd.DataFrame) -> np.ndarray:
    """Return the index in ``units`` of the polygon holding each point (-1 when none)."""
    tree = shapely.STRtree(units.geometry.values)
    pt_idx, unit_idx = tree.query(shapely.points(xs, ys), predicate="within")
    out = np.full(len(xs), -1)
    out[pt_idx] = unit_idx
    return out


def door_plates(rng: np.random.Generator, streets: pd.DataFrame, units: pd.DataFrame, *,
                uid_prefix: str = "") -> pd.DataFrame:
    """Place plates in every community and village and share its households out among them; every
    plate uid starts with ``uid_prefix`` (a synthetic region's districts draw from disjoint uids)."""
    cand = _plate_candidates(streets)
    leaves = units[units["level"].isin(["community", "village"])]
    holder = _assign_units(cand.x.values, cand.y.values, leaves)
    cand["unit"] = leaves.index.values[np.maximum(holder, 0)]
    cand = cand[holder >= 0]
    chosen = []
    for unit_idx, group in cand.groupby("unit"):
        unit = units.loc[unit_idx]
        per_plate = 1.5 if unit["level"] == "village" else 10.0
        want = int(np.clip(round(unit["target_households"] / per_plate), 1, len(group)))
        pick = group.iloc[np.sort(rng.choice(len(group), want, replace=False))].copy()
        weights = rng.lognormal(0, 0.6, want)
        extra = rng.multinomial(max(unit["target_households"] - want, 0), weights / weights.sum())
        pick["households"] = 1 + extra
        pick["community_code"] = unit["code"]
        chosen.append(pick)
    plates = pd.concat(chosen, ignore_index=True)
    return _number_plates(rng, plates, streets, uid_prefix=uid_prefix)


def _plate_uids(rng: np.random.Generator, count: int, *, prefix: str = "") -> list[str]:
    """Return ``count`` distinct plate uids drawn from ``rng`` (the store's alphabet; seeded, unlike
    :func:`geo.plates.rules.new_plate_uids`, so the sample is the same for the same seed), each
    ``prefix`` followed by drawn characters up to the uid's 8."""
    from geo.plates.rules import PLATE_UID_ALPHABET  # here: geo.plates.rules loads the store schema

    letters = np.array(list(PLATE_UID_ALPHABET), dtype=object)
    width = 8 - len(prefix)
    uids: set[str] = set()
    codes: list[str] = []
    while len(codes) < count:  # the uids still wanted in one draw, the taken ones skipped, until none are wanted
        # One draw of n×width is the same stream as n draws of width, so the uids are the one-at-a-time ones.
        drawn = letters[rng.integers(0, len(PLATE_UID_ALPHABET), size=(count - len(codes), width))]
        for row in drawn.tolist():
            uid = prefix + "".join(row)
            if uid not in uids:
                uids.add(uid)
                codes.append(uid)
    return codes


def _number_plates(rng: np.random.Generator, plates: pd.DataFrame, streets: pd.DataFrame, *,
                   uid_prefix: str = "") -> pd.DataFrame:
    """Number plates per street name: rising from the street's numbering start (DP-01), odd on its
    ``odd_side`` and even on the other (DP-02), in order along it (DP-03), each number once (DP-04);
    segments of one name are numbered as one street."""
    plates = plates.copy()
    plates["street_name"] = streets.loc[plates["street_idx"], "name"].to_numpy()
    chain = np.zeros(len(plates))
    side = np.empty(len(plates), dtype=object)
    odd_side = np.empty(len(plates), dtype=object)
    xy = plates[["x", "y"]].to_numpy()
    # Each name's segments (positions, in the streets' own order) found once: a comparison over every
    # street per name made building the sample quadratic in its streets.
    segments_of = streets.groupby("name", sort=False).indices
    geometries = np.asarray(streets["geometry"].values, dtype=object)
    starts, odd_sides = streets["numbering_start"].to_numpy(), streets["odd_side"].to_numpy()
    for name, at in plates.groupby("street_name").indices.items():
        segments = segments_of[name]
        line = oriented(merged_street(geometries[segments]), starts[segments[0]])
        pos = positions(line, xy[at])
        chain[at] = pos.chainage_m
        side[at] = pos.side
        odd_side[at] = odd_sides[segments[0]]
    plates["chainage"] = chain
    plates["side"] = side
    plates["odd_side"] = odd_side
    plates = plates.sort_values(["street_name", "side", "chainage"]).reset_index(drop=True)
    rank = plates.groupby(["street_name", "side"]).cumcount().to_numpy()
    parity = np.array([parity_of(s, o) for s, o in zip(plates["side"], plates["odd_side"], strict=True)], dtype=int)
    plates["number"] = 2 * rank + 2 - parity  # 1, 3, 5 … on the odd side; 2, 4, 6 … on the even side
    plates = plates.drop(columns="odd_side")
    plates["plate_uid"] = _plate_uids(rng, len(plates), prefix=uid_prefix)
    plates["suffix"] = ""
    plates["status"] = "active"
    plates["geometry"] = shapely.points(plates["x"].to_numpy(), plates["y"].to_numpy())
    return plates
