"""The burial-ban zone buffers (CM-01) and plot-size limits (CM-02), read from a settings file.

No national buffer distance exists, and the province sets plot sizes (殡葬管理条例 arts 10, 11): so
every figure lives in a TOML file (``data/planning/ban_zones.toml`` by default) with its basis,
``assumed`` (假定值) or ``sourced`` (有出处), and the text it comes from. The loader checks every entry
and names the key of the first problem, Chinese first; a computation never sees a half-valid file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.errors import InputError
from geo.layers import BAN_ZONE_AREA_KINDS, LINEAR_FEATURE_KINDS
from geo.messages import Term, catalogue, text
from geo.settings_files import load_settings

DEFAULT_SETTINGS_FILE = Path(__file__).resolve().parents[2] / "data" / "planning" / "ban_zones.toml"
BASES = ("assumed", "sourced")
PLOT_TYPES = ("body_single", "body_double", "ashes_single", "ashes_double", "niche", "tree", "lawn", "flower",
              "wall")
SECTIONS = ("linear", "area", "plots")


@dataclass(frozen=True)
class ZoneRule:
    """One class of ban zone: the buffer in metres around its features, the basis and the source."""

    kind: str
    buffer_m: float
    basis: str
    source: str


@dataclass(frozen=True)
class PlotLimit:
    """The largest area of one plot of a type (m²), whether the type is eco burial, basis and source."""

    plot_type: str
    max_area_m2: float
    eco: bool
    basis: str
    source: str


@dataclass(frozen=True)
class BanZoneSettings:
    """Every zone rule and plot limit of one settings file."""

    linear: dict[str, ZoneRule]
    areas: dict[str, ZoneRule]
    plots: dict[str, PlotLimit]
    path: str = ""

    @property
    def eco_plot_types(self) -> tuple[str, ...]:
        """Return the plot types that count as 节地生态安葬."""
        return tuple(t for t, p in self.plots.items() if p.eco)


def _fail(key: str, message: str) -> InputError:
    return InputError(message, field=key)


def _number(entry: dict[str, Any], key: str, name: str, *, low: float) -> float:
    full = f"{key}.{name}"
    if name not in entry:
        raise _fail(full, text("cemeteries.settings_missing", key=full))
    value = entry[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value < low \
            or value == float("inf"):
        raise _fail(full, text("cemeteries.settings_number", key=full, low=low, value=repr(value)))
    return float(value)


def _basis_and_source(entry: dict[str, Any], key: str) -> tuple[str, str]:
    if "basis" not in entry:
        raise _fail(f"{key}.basis", text("cemeteries.settings_missing", key=f"{key}.basis"))
    basis = entry["basis"]
    if basis not in BASES:
        raise _fail(f"{key}.basis", text("cemeteries.settings_basis", key=f"{key}.basis", value=repr(basis)))
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        raise _fail(f"{key}.source", text("cemeteries.settings_text", key=f"{key}.source"))
    return str(basis), source.strip()


def _section(data: dict[str, Any], name: str, allowed: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    section = data.get(name)
    if not isinstance(section, dict) or not section:
        raise _fail(name, text("cemeteries.settings_missing", key=f"[{name}]"))
    for kind, entry in section.items():
        if kind not in allowed:
            raise _fail(f"{name}.{kind}", text("cemeteries.settings_unknown", key=f"{name}.{kind}",
                                               allowed=", ".join(allowed)))
        if not isinstance(entry, dict):
            raise _fail(f"{name}.{kind}", text("cemeteries.settings_missing", key=f"[{name}.{kind}]"))
    return section


def parse_ban_zone_settings(data: dict[str, Any], *, path: str = "") -> BanZoneSettings:
    """Return the settings in ``data`` (a parsed TOML document) or raise naming the first bad key."""
    unknown = [k for k in data if k not in SECTIONS]
    if unknown:
        raise _fail(unknown[0], text("cemeteries.settings_unknown", key=unknown[0], allowed=", ".join(SECTIONS)))
    rules: dict[str, dict[str, ZoneRule]] = {}
    for name, allowed in (("linear", LINEAR_FEATURE_KINDS), ("area", BAN_ZONE_AREA_KINDS)):
        rules[name] = {}
        for kind, entry in _section(data, name, allowed).items():
            key = f"{name}.{kind}"
            buffer_m = _number(entry, key, "buffer_m", low=0)
            basis, source = _basis_and_source(entry, key)
            rules[name][kind] = ZoneRule(kind, buffer_m, basis, source)
    plots: dict[str, PlotLimit] = {}
    for plot_type, entry in _section(data, "plots", PLOT_TYPES).items():
        key = f"plots.{plot_type}"
        limit = _number(entry, key, "max_area_m2", low=0.01)
        eco = entry.get("eco", False)
        if not isinstance(eco, bool):
            raise _fail(f"{key}.eco", text("cemeteries.settings_bool", key=f"{key}.eco", value=repr(eco)))
        basis, source = _basis_and_source(entry, key)
        plots[plot_type] = PlotLimit(plot_type, limit, eco, basis, source)
    return BanZoneSettings(linear=rules["linear"], areas=rules["area"], plots=plots, path=path)


def load_ban_zone_settings(path: str | Path | None = None) -> BanZoneSettings:
    """Read and check a settings file (default: the bundled ``data/planning/ban_zones.toml``), once per
    version of the file; a broken bundled file is the server's (503), a broken given file the user's."""
    file = Path(path) if path is not None else DEFAULT_SETTINGS_FILE
    try:
        return load_settings(file, parse_ban_zone_settings, unreadable="cemeteries.settings_unreadable")
    except InputError as exc:
        if path is not None:
            raise  # the user's own file
        from geo.planning.norms_settings import server_settings_error

        raise server_settings_error(exc, file) from None


def basis_text(basis: str) -> str:
    """Return a basis as users read it: ``"假定值，待禁葬区图确认 · assumed until …"`` or ``"有出处 · sourced"``."""
    return text(f"cemeteries.basis.{basis}")


def plot_label(plot_type: str) -> Term:
    """Return a plot type as users read it: ``"树葬 tree"`` (English half ``tree burial``)."""
    message = catalogue().get(f"cemeteries.plot.{plot_type}")
    return Term(f"{message.zh} {plot_type}", message.en) if message else Term(plot_type, plot_type)


def plot_labels(plot_types: tuple[str, ...] | list[str]) -> Term:
    """Return several plot types joined by "、" (", " in English)."""
    named = [plot_label(t) for t in plot_types]
    return Term("、".join(named), ", ".join(t.en for t in named))
