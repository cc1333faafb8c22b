"""The planning norms as a settings file: urban, rural and new-estate floor areas and indicator scopes.

The defaults are the plan's (``data/planning/norms.toml``, each value with its line in the plan);
a bureau that adopts another standard edits the file, not the code. :func:`load_norms` reads and
validates a file into :class:`PlanningNorms`, collecting nothing silently: a wrong value is refused
with the key and the rule, Chinese first (``InputError``, CLI exit 2, HTTP 400).
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.errors import InputError, SettingsBroken
from geo.layers import FACILITY_KINDS, SETTLEMENT_TYPES
from geo.messages import as_term, text

DEFAULT_NORMS_FILE = Path(__file__).resolve().parents[2] / "data" / "planning" / "norms.toml"


def shown_settings_path(path: str | Path) -> str:
    """Return a settings file as answers show it: ``data/planning/x.toml`` for a bundled one, else its
    name only (an answer never tells a client where the server keeps its files)."""
    file = Path(path).resolve()
    bundled = DEFAULT_NORMS_FILE.parent
    return f"data/planning/{file.name}" if file.parent == bundled else file.name


@dataclass(frozen=True)
class RuralNorm:
    """One rural norm: the service centre of a village of these settlement types has ≥ ``min_total_m2``.

    The plan asks this of ≥ ``required_share`` of the villages in the group (90%).
    """

    key: str
    settlement_types: tuple[str, ...]
    min_total_m2: float
    required_share: float


@dataclass(frozen=True)
class PlanningNorms:
    """Every configurable norm and scope the planning computations read."""

    urban_per100_m2: float = 30.0
    urban_min_total_m2: float = 300.0
    rural: tuple[RuralNorm, ...] = (
        RuralNorm("town_fringe", ("urban_village", "suburban_village"), 300.0, 0.90),
        RuralNorm("central_traditional", ("central_village", "traditional_village"), 150.0, 0.90),
    )
    estate_care_per100_m2: float = 20.0
    elder_care_counted_kinds: tuple[str, ...] = ("elder_care_station", "comprehensive_elder_care_centre")
    elder_care_target_share: float = 1.0
    social_work_target_share: float = 1.0
    urban_unit_codes: tuple[str, ...] = field(default_factory=tuple)  # empty: every 街道
    source: str = "defaults"

    def describe(self) -> dict[str, Any]:
        """Return every value as plain data, the file shown by its bundled name (stored with snapshots)."""
        return {"source": shown_settings_path(self.source) if self.source != "defaults" else self.source,
                "urban_per100_m2": self.urban_per100_m2, "urban_min_total_m2": self.urban_min_total_m2,
                "rural": [{"key": n.key, "settlement_types": list(n.settlement_types),
                           "min_total_m2": n.min_total_m2, "required_share": n.required_share} for n in self.rural],
                "estate_care_per100_m2": self.estate_care_per100_m2,
                "elder_care_counted_kinds": list(self.elder_care_counted_kinds),
                "elder_care_target_share": self.elder_care_target_share,
                "social_work_target_share": self.social_work_target_share,
                "urban_unit_codes": list(self.urban_unit_codes)}

    def rural_norm_for(self, settlement_type: str | None) -> RuralNorm | None:
        """Return the rural norm that judges a village of ``settlement_type`` (None: no plan norm)."""
        return next((n for n in self.rural if settlement_type in n.settlement_types), None)


def _get(table: dict[str, Any], dotted: str, path: str) -> Any:
    node: Any = table
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise InputError(text("rural_norms.missing_key", path=path, key=dotted), field="norms")
        node = node[part]
    return node


def _positive(table: dict[str, Any], key: str, path: str) -> float:
    value = _get(table, key, path)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
        raise InputError(text("rural_norms.positive", path=path, key=key, value=repr(value)), field="norms")
    return float(value)


def _share(table: dict[str, Any], key: str, path: str) -> float:
    value = _get(table, key, path)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise InputError(text("rural_norms.share", path=path, key=key, value=repr(value)), field="norms")
    return float(value)


def _strings(table: dict[str, Any], key: str, path: str, *, allowed: tuple[str, ...] | None,
             nonempty: bool = False) -> tuple[str, ...]:
    value = _get(table, key, path)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or (nonempty and not value):
        raise InputError(text("rural_norms.list", path=path, key=key), field="norms")
    bad = [v for v in value if allowed is not None and v not in allowed]
    if bad:
        raise InputError(text("rural_norms.choice", path=path, key=key, value=repr(bad[0]),
                              allowed=", ".join(allowed or ())), field="norms")
    return tuple(value)


def parse_norms(table: dict[str, Any], *, source: str = "<settings>") -> PlanningNorms:
    """Return validated norms from a parsed settings table (the TOML file's structure).

    Every problem is collected and refused together in one message (one per line), so a file is
    fixed in one pass.
    """
    problems: list[str] = []

    def read(func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            problems.append(str(exc))
            return None

    values = {
        "urban_per100_m2": read(_positive, table, "urban.per100_m2", source),
        "urban_min_total_m2": read(_positive, table, "urban.min_total_m2", source),
        "estate_care_per100_m2": read(_positive, table, "new_estates.care_per100_m2", source),
        "elder_care_counted_kinds": read(_strings, table, "elder_care_coverage.counted_kinds", source,
                                         allowed=FACILITY_KINDS, nonempty=True),
        "elder_care_target_share": read(_share, table, "elder_care_coverage.target_share", source),
        "social_work_target_share": read(_share, table, "social_work.target_share", source),
        "urban_unit_codes": read(_strings, table, "circle.urban_unit_codes", source, allowed=None),
    }
    rural_table = read(_get, table, "rural", source)
    rural = []
    seen: dict[str, str] = {}
    for key in rural_table if isinstance(rural_table, dict) else ():
        types = read(_strings, table, f"rural.{key}.settlement_types", source, allowed=SETTLEMENT_TYPES,
                     nonempty=True) or ()
        for t in types:
            if t in seen:
                problems.append(str(InputError(text("rural_norms.overlap", path=source, value=t), field="norms")))
            seen[t] = key
        minimum = read(_positive, table, f"rural.{key}.min_total_m2", source)
        share = read(_share, table, f"rural.{key}.required_share", source)
        if minimum is not None and share is not None:
            rural.append(RuralNorm(key, types, minimum, share))
    if problems:
        raise InputError("\n".join(problems), field="norms")
    return PlanningNorms(rural=tuple(rural), source=source, **values)


def load_norms(path: Path | str | None = None) -> PlanningNorms:
    """Read and validate the norms settings file (default: the plan's, ``data/planning/norms.toml``).

    Read once per version of the file: the parsed settings are kept by path, modification time and
    size (every planning run and report reads them), and read again when the file changes.
    """
    file = Path(path) if path is not None else DEFAULT_NORMS_FILE
    try:
        if not file.is_file():
            raise InputError(text("rural_norms.file_missing", path=str(file)), field="norms")
        stat = file.stat()
        return _read_norms(str(file), stat.st_mtime_ns, stat.st_size)
    except InputError as exc:
        if path is not None:
            raise  # the user's own file: their input, named as they gave it
        raise server_settings_error(exc, file) from None


def server_settings_error(exc: InputError, file: Path) -> SettingsBroken:
    """Return the error for a broken settings file of the server's own: 503, the admin's to fix, its
    bundled name only (``data/planning/x.toml``), never where the server keeps it."""
    shown = shown_settings_path(file)
    detail = exc.message.replace(str(file.resolve()), shown).replace(str(file), shown)
    return SettingsBroken(text("rural_norms.server_file", path=shown, detail=as_term(detail)), field=exc.field)


@functools.lru_cache(maxsize=8)
def _read_norms(file_name: str, _mtime_ns: int, _size: int) -> PlanningNorms:
    """Parse the settings file (the cache key carries its modification time and size)."""
    file = Path(file_name)
    try:
        table = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(text("rural_norms.file_syntax", path=str(file), detail=str(exc)), field="norms") from None
    return parse_norms(table, source=str(file))
