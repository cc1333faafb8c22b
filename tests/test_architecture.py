"""The one-way structure of ARCHITECTURE.md, checked from the code's own import statements.

(Each check here was seen to fail on a tree that broke its rule: geo importing api, a cycle between
two domain modules, a CLI module importing sqlalchemy, a router opening a transaction.)

Every module of geo/, maps/ and api/ is parsed (nothing is imported or run); each import must point
to its own layer or one below it. A new import that runs back up fails here with the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# From the bottom up: a module may import its own layer and the layers below it, never above.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("kernel", ("geo", "geo.errors", "geo.text", "geo.types", "geo.crs", "geo.layers", "geo.write_rules",
                "geo.spreadsheet", "geo.spreadsheet_cells", "geo.spreadsheet_rows", "geo.legacy_crs")),
    ("store", ("geo.store",)),
    ("shared rules", ("geo.validation", "geo.location_rules", "geo.users",
                      "geo.signs.replacement")),  # a rename queues the street's signs (it reads the store only)
    ("domain", ("geo.placenames", "geo.boundaries", "geo.planning", "geo.addresses")),  # addresses: #17
    ("plates", ("geo.plates",)),   # plates read street names and romanization from the gazetteer
    ("signs and divisions", ("geo.signs", "geo.divisions")),  # #17: signs print like plates; a division
    #   change re-parents plates and addresses and renames the unit's place name
    ("generic writes and files", ("geo.generic_writes", "geo.features", "geo.io",
                                  "geo.restore_rules")),  # a restore checks every domain's rules
    ("data", ("data",)),
    ("maps", ("maps",)),
    ("api", ("api",)),
]


def _layer_of(module: str) -> int | None:
    """Return the index of the layer ``module`` belongs to (longest matching prefix), or None."""
    best: tuple[int, int] | None = None
    for index, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return None if best is None else best[0]


def _modules() -> list[tuple[str, Path]]:
    out = []
    for top in ("geo", "data", "maps", "api"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out.append((".".join(parts), path))
    return out


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
            found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def test_every_import_points_down_or_sideways():
    """No module imports a layer above its own (geo never imports maps or api, and so on)."""
    wrong = []
    for module, path in _modules():
        own = _layer_of(module)
        assert own is not None, f"{module} belongs to no layer of ARCHITECTURE.md"
        for target, line in _imports(path):
            layer = _layer_of(target)
            if layer is not None and layer > own and not target.startswith(module + "."):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {LAYERS[own][0]} imports {target} "
                             f"({LAYERS[layer][0]})")
    assert wrong == []


# api/errors.py maps the database's own exceptions (unique and data errors) to HTTP answers.
SQL_ALLOWED = {"api/errors.py"}
TRANSACTION_CALLS = (".reading()", ".writing()", "exec_driver_sql(", "sa.select(", "sa.text(")


def test_api_writes_no_sql_and_routers_import_no_other_router():
    """api/ parses, calls geo, formats: SQL and transactions live in geo, shared page helpers in
    api/pages.py (a router never imports another router)."""
    wrong = []
    for path in sorted((ROOT / "api").rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for target, line in _imports(path):
            if target.split(".")[0] == "sqlalchemy" and rel not in SQL_ALLOWED:
                wrong.append(f"{rel}:{line}: imports {target}")
            if rel.startswith("api/routers/") and target.startswith("api.routers"):
                wrong.append(f"{rel}:{line}: imports {target}")
        text = path.read_text(encoding="utf-8")
        wrong += [f"{rel}: calls {call}" for call in TRANSACTION_CALLS if call in text]
    assert wrong == []


def test_no_import_cycles_between_modules():
    """No two modules import each other, directly or round a longer loop (a package's face that
    re-exports its own modules is not a cycle)."""
    graph: dict[str, set[str]] = {}
    names = {module for module, _ in _modules()}
    for module, path in _modules():
        targets = set()
        for target, _line in _imports(path):
            while target and target not in names:
                target = target.rpartition(".")[0]
            if target and target != module and not target.startswith(module + ".") \
                    and not module.startswith(target + "."):
                targets.add(target)
        graph[module] = targets
    seen: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if seen.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt])
            elif nxt not in seen:
                visit(nxt, [*path, nxt])
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node, [node])
    assert cycles == []


def test_domain_packages_name_their_use_cases():
    """Each domain package's face lists what it offers, and every name it lists exists."""
    import importlib

    for package in ("geo.placenames", "geo.plates", "geo.boundaries", "geo.planning", "geo.planning.network"):
        module = importlib.import_module(package)
        assert module.__doc__ and len(module.__doc__) > 200, package
        assert module.__all__, package
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert missing == [], (package, missing)
