"""Searching the gazetteer: Chinese, full pinyin, pinyin initials (xlbl → 锡林北路), former names,
with typo tolerance, ranked; and reverse lookup (what is named here?).

The index is built once from the names (pure data) and answers from memory: exact keys through
dictionaries, prefixes through sorted keys, typos through a bigram index plus a bounded edit distance.
:func:`load_name_index` builds it from the store (the service caches it per data version);
:func:`search_names` is the one-off search of the command line, with each hit's record.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa

from geo import crs as C
from geo.placenames.romanize import initials, toneless_key
from geo.store import Store, schema

_HAN = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134f]")
FUZZY_CANDIDATES = 100  # edit distances are computed for the names sharing the most bigrams only
UNIT_CLASSES = ("community", "village", "admin_unit")  # names of administrative units
_SCORES = {"exact": 100, "pinyin_exact": 95, "initials_exact": 90, "former_exact": 85, "prefix": 80,
           "pinyin_prefix": 75, "initials_prefix": 70, "former_prefix": 65, "substring": 60,
           "pinyin_substring": 55, "fuzzy": 40}


@dataclass(frozen=True)
class Hit:
    """One search result: which name, how it matched, and its score."""

    id: int
    name: str
    matched: str
    how: str
    score: float


def _normalise_latin(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", plain.replace("ü", "v"))


def _grams(text: str, n: int) -> set[str]:
    return {text[i:i + n] for i in range(len(text) - n + 1)} if len(text) >= n else {text}


TRIGRAM_FROM = 6  # keys this long are matched by trigrams (rarer, so fewer candidates), shorter by bigrams


def edit_distance(a: str, b: str, limit: int, *, prefix: bool = False) -> int:
    """Return the Levenshtein distance of ``a`` to ``b`` (or, with ``prefix``, to the best prefix of ``b``).

    Stops early with ``limit + 1`` once every alignment exceeds ``limit``.
    """
    if not prefix and abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        best = i
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            best = min(best, cur[j])
        if best > limit:
            return limit + 1
        prev = cur
    return min(prev) if prefix else prev[-1]


class NameIndex:
    """An in-memory search index over standard and former names."""

    def __init__(self, records: Iterable[Mapping[str, Any]], former: Iterable[Mapping[str, Any]] = ()):
        self.names: dict[int, str] = {}
        self.status: dict[int, str] = {}
        self._keys: dict[str, dict[str, set[int]]] = {k: defaultdict(set)
                                                      for k in ("name", "pinyin", "initials", "former")}
        self._sorted: dict[str, list[tuple[str, int]]] = {}
        self._typo_keys: list[tuple[str, int]] = []  # the keys a typo search compares with
        self._grams: dict[str, list[tuple[str, int]]] | None = None  # built on the first typo search
        for r in records:
            rid, name = int(r["id"]), str(r["standard_name"])
            self.names[rid] = name
            self.status[rid] = str(r.get("status") or "")
            self._add("name", name, rid)
            self._add("pinyin", r.get("search_key") or toneless_key(name), rid)
        for f in former:
            self._add("former", str(f["name"]), int(f["place_name_id"]))
            self._add("pinyin", toneless_key(str(f["name"])), int(f["place_name_id"]))
        for kind, table in self._keys.items():
            self._sorted[kind] = sorted((k, rid) for k, ids in table.items() for rid in ids)
        self._initials_ready = False  # made on the first search in Latin letters (_ensure_initials)

    def _ensure_initials(self) -> None:
        """Make the pinyin initials of every name (xlbl → 锡林北路) on the first search that may use them:
        they are most of the index's building time (the pinyin of each character), and a search in
        Chinese characters, most of them, never reads them. Two threads may both make them; each makes
        the same, and the table is complete before it is marked ready."""
        if self._initials_ready:
            return
        table: dict[str, set[int]] = defaultdict(set)
        for rid, name in list(self.names.items()):
            table[initials(name)].add(rid)
        self._sorted["initials"] = sorted((k, rid) for k, ids in table.items() for rid in ids)
        self._keys["initials"] = table
        self._initials_ready = True

    def _add(self, kind: str, key: str, rid: int) -> None:
        self._keys[kind][key].add(rid)
        if kind in ("name", "pinyin", "former"):
            self._typo_keys.append((key, rid))

    def _gram_index(self) -> dict[str, list[tuple[str, int]]]:
        """Return the bigrams and trigrams of every key, made on the first search that needs them: most
        searches match as typed, and the grams are most of the index's memory and building time (a
        service holding the indexes of many districts keeps them small). Two threads may both make
        it; each makes the same and the last one kept is used."""
        if self._grams is None:
            grams: dict[str, list[tuple[str, int]]] = defaultdict(list)
            for key, rid in self._typo_keys:
                for g in _grams(key, 2) | _grams(key, 3):
                    grams[g].append((key, rid))
            self._grams = grams
        return self._grams

    def _prefix(self, kind: str, key: str) -> list[tuple[str, int]]:
        table = self._sorted[kind]
        i = bisect.bisect_left(table, (key, -1))
        out: list[tuple[str, int]] = []
        while i < len(table) and table[i][0].startswith(key) and len(out) < 200:
            out.append(table[i])
            i += 1
        return out

    def search(self, query: str, *, limit: int = 10, statuses: set[str] | None = None) -> list[Hit]:
        """Return up to ``limit`` names for ``query``, best first."""
        q = (query or "").strip()
        if not q:
            return []
        found: dict[int, Hit] = {}

        def offer(rid: int, matched: str, how: str, bonus: float = 0.0) -> None:
            if statuses is not None and self.status.get(rid) not in statuses:
                return
            score = _SCORES[how] + bonus - 0.01 * len(self.names[rid])
            if rid not in found or found[rid].score < score:
                found[rid] = Hit(rid, self.names[rid], matched, how, score)

        if _HAN.search(q):
            for rid in self._keys["name"].get(q, ()):
                offer(rid, q, "exact")
            for rid in self._keys["former"].get(q, ()):
                offer(rid, q, "former_exact")
            for key, rid in self._prefix("name", q):
                offer(rid, key, "prefix")
            for key, rid in self._prefix("former", q):
                offer(rid, key, "former_prefix")
            if len(found) < limit:
                for rid, name in self.names.items():
                    if q in name:
                        offer(rid, name, "substring")
            key = q
        else:
            key = _normalise_latin(q)
            if not key:
                return []
            self._ensure_initials()
            for kind, how in (("pinyin", "pinyin_exact"), ("initials", "initials_exact")):
                for rid in self._keys[kind].get(key, ()):
                    offer(rid, key, how)
            for kind, how in (("pinyin", "pinyin_prefix"), ("initials", "initials_prefix")):
                for matched, rid in self._prefix(kind, key):
                    offer(rid, matched, how)
        if not found and len(key) >= 3:  # typo tolerance when nothing matched as typed
            self._fuzzy(key, offer)
        return sorted(found.values(), key=lambda h: (-h.score, h.id))[:limit]

    def _fuzzy(self, key: str, offer) -> None:
        allowed = 1 if len(key) <= 6 else 2
        n = 3 if len(key) >= TRIGRAM_FROM else 2
        grams = _grams(key, n)
        index = self._gram_index()
        counts = Counter(chain.from_iterable(index.get(g, ()) for g in grams))
        need = max(1, len(grams) - n * allowed)
        best = sorted(((shared, entry) for entry, shared in counts.items() if shared >= need), reverse=True)
        for _shared, (cand, rid) in best[:FUZZY_CANDIDATES]:
            d = edit_distance(key, cand, allowed, prefix=True)
            if d <= allowed:
                offer(rid, cand, "fuzzy", bonus=-5 * d)


def load_name_index(store: Store) -> NameIndex:
    """Build the search index from the stored names and former names, read in one transaction.

    Only the columns the index uses are read (id, standard name, status, search key; each former
    name with its place), so building it for the whole gazetteer stays cheap.
    """
    t, f, h = schema.place_names, schema.former_names, schema.unit_code_history
    with store.reading() as conn:
        names = [dict(r) for r in conn.execute(sa.select(t.c.id, t.c.standard_name, t.c.status, t.c.search_key)
                                               .order_by(t.c.id)).mappings()]
        former = [dict(r) for r in conn.execute(sa.select(f.c.place_name_id, f.c.name).order_by(f.c.id)).mappings()]
        # A unit abolished by a split or merge leads to the units that took its land: 春华社区 finds
        # 春华西社区 and 春华东社区 (the code history says which new codes followed the old name).
        former += [dict(r) for r in conn.execute(
            sa.select(t.c.id.label("place_name_id"), h.c.old_name.label("name"))
            .select_from(h.join(t, t.c.admin_code == h.c.new_code))
            .where(h.c.old_name.is_not(None), h.c.old_name != t.c.standard_name,
                   t.c.feature_class.in_(UNIT_CLASSES)).order_by(h.c.id)).mappings()]
    return NameIndex(names, former)


def search_names(store: Store, query: str, *, limit: int = 10,
                 statuses: set[str] | None = None) -> list[tuple[Hit, dict[str, Any]]]:
    """Search the stored gazetteer once; return up to ``limit`` hits, best first, each with its record.

    Parameters
    ----------
    store
        The store holding the names.
    query
        Chinese, full pinyin, pinyin initials (``xlbl``) or a former name; typos are tolerated.
    limit
        The most hits to return.
    statuses
        Only names in these statuses (default: every status).

    A service answering many searches keeps the index of :func:`load_name_index` instead.
    """
    hits = load_name_index(store).search(query, limit=limit, statuses=statuses)
    with store.reading() as conn:
        return [(hit, store.get("place_names", hit.id, conn=conn)) for hit in hits]


class PlaceLocator:
    """Reverse lookup: which names lie at (or within a few metres of) a point."""

    def __init__(self, records: Iterable[Mapping[str, Any]]):
        recs = [r for r in records if r.get("geometry") is not None]
        self.ids = np.array([int(r["id"]) for r in recs], dtype=np.int64)
        self.names = [str(r["standard_name"]) for r in recs]
        self.classes = [r.get("feature_class") for r in recs]
        self.geoms = C.to_metric(np.asarray([r["geometry"] for r in recs], dtype=object)) if recs else np.array([])
        self.tree = shapely.STRtree(self.geoms) if recs else None

    def at(self, lon: float, lat: float, *, radius_m: float = 30.0) -> list[dict[str, Any]]:
        """Return names within ``radius_m`` of the point (EPSG:4490), nearest first; areas that contain it last."""
        if self.tree is None:
            return []
        p = C.to_metric(shapely.Point(lon, lat))
        idx = self.tree.query(p, predicate="dwithin", distance=radius_m)
        out = [{"id": int(self.ids[i]), "standard_name": self.names[i], "feature_class": self.classes[i],
                "distance_m": round(float(shapely.distance(self.geoms[i], p)), 1),
                "contains": bool(self.geoms[i].geom_type in ("Polygon", "MultiPolygon") and self.geoms[i].contains(p))}
               for i in idx]
        return sorted(out, key=lambda r: (r["contains"], r["distance_m"], r["id"]))


def former_street_names(store: Store) -> dict[str, str]:
    """Return each street's former names, former → current standard name, from the gazetteer.

    The one reading of former street names: address cleaning (:mod:`geo.plates.address_match`) and
    the officer's address search (:func:`geo.addresses.views.search_addresses`) both take it, so an
    address written with a street's old name finds its plate and its buildings alike.
    """
    p, f = schema.place_names, schema.former_names
    query = (sa.select(f.c.name, p.c.standard_name).join(p, p.c.id == f.c.place_name_id)
             .where(p.c.feature_class == "street").order_by(f.c.id))
    with store.reading() as conn:
        return {old: new for old, new in conn.execute(query)}
