"""A QGIS user's check of the OGC API (/ogc) and of a GeoPackage export, with QGIS's own providers.

Not collected by pytest (the name does not start with ``test_``): QGIS's Python bindings are
Debian's (``apt-get install python3-qgis qgis-providers``) and run under the system Python::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py [--db var/sample.db]

It starts ``xincheng serve`` on a free loopback port over the sample district (``--db``; built with
``xincheng init`` in a temporary folder when not given), then opens every collection as QGIS does
(``QgsVectorLayer("url=… typename=…", …, "OAPIF")``), anonymously and as a logged-in officer (a
Basic authentication configuration whose password is the officer's API token), and every layer of
``xincheng export``'s GeoPackages through the ``ogr`` provider. For each layer it prints the
geometry type, CRS, feature count (against the server's ``numberMatched``) and field types, and
checks: one geometry type per layer, ``beds`` an Integer, the boundary layers' 示意 label, every
officer-only collection hidden from an anonymous client but readable by the officer, and no
message of level warning or worse in QGIS's message log. Exit status 0 when every check holds.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
XINCHENG = ROOT / ".venv" / "bin" / "xincheng"
OFFICER = ("qgis_officer", "qgis-check-Passw0rd!")
BIG_LAYER = 5000  # features: a bigger layer is counted by QGIS and only its first this many read
EXPORTED = ("admin_units", "boundary_lines", "facilities", "door_plates", "place_names", "streets")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    env["XINCHENG_SECRET_KEY"] = "q" * 40
    return subprocess.run([str(XINCHENG), "--database-url", f"sqlite:///{db}", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=600, check=False)


def _get(url: str, token: str | None = None) -> dict:
    headers = {"Accept": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as r:
        return json.loads(r.read())


class Report:
    """Lines to print and the failed checks."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def line(self, text: str) -> None:
        print(text, flush=True)

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.failures.append(what)
            print(f"  FAIL {what}", flush=True)


def _describe(layer, qgis) -> str:
    fields = ", ".join(f"{f.name()}:{f.typeName() or qgis.QVariant.typeToName(f.type())}" for f in layer.fields())
    return (f"{qgis.QgsWkbTypes.displayString(layer.wkbType())} {layer.crs().authid()} "
            f"{layer.featureCount()} features; fields {fields}")


def _count(layer) -> int:
    return sum(1 for _ in layer.getFeatures())


def _check_layer(report: Report, name: str, layer, qgis, *, expected: int | None) -> None:
    if not layer.isValid():
        report.check(False, f"{name}: layer not valid")
        return
    report.line(f"  {name}: {_describe(layer, qgis)}")
    wkb = qgis.QgsWkbTypes.displayString(layer.wkbType())
    report.check(wkb not in ("Unknown", "NoGeometry", "GeometryCollection"), f"{name}: geometry type {wkb}")
    kinds, counted = set(), 0
    big = layer.featureCount() > BIG_LAYER  # QGIS's count (the server's numberMatched): not read whole
    for feature in layer.getFeatures(qgis.QgsFeatureRequest().setLimit(BIG_LAYER) if big else qgis.QgsFeatureRequest()):
        counted += 1
        if feature.hasGeometry():
            kinds.add(qgis.QgsWkbTypes.flatType(feature.geometry().wkbType()))
    counted = layer.featureCount() if big else counted
    if expected is not None:
        report.check(counted == expected, f"{name}: QGIS read {counted} features, the server matched {expected}")
    report.check(layer.crs().isValid() and layer.crs().authid() in ("EPSG:4490", "OGC:CRS84", "EPSG:4326"),
                 f"{name}: CRS {layer.crs().authid()!r}")
    fields = {f.name(): f for f in layer.fields()}
    if "beds" in fields:
        report.check(fields["beds"].type() in (qgis.QVariant.Int, qgis.QVariant.LongLong),
                     f"{name}: beds typed {fields['beds'].typeName()}")
    report.check(len(kinds) <= 1, f"{name}: features of several geometry types {kinds}")


def _boundary_label(report: Report, name: str, layer) -> None:
    """The bundled boundary carries its 示意 label in every feature (or in the layer's title)."""
    note = [str(f["boundary_note"]) for f in layer.getFeatures()] if "boundary_note" in layer.fields().names() else []
    report.line(f"  {name}: boundary_note = {note[0] if note else None!r}")
    report.check(bool(note) and all("示意" in n for n in note), f"{name}: no 示意 label on its features")


def run(db: Path) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    auth_dir = tempfile.mkdtemp(prefix="qgis_auth_")
    os.environ["QGIS_AUTH_DB_DIR_PATH"] = auth_dir
    from qgis import core as qc
    from qgis.PyQt.QtCore import QVariant

    qgis_names = SimpleNamespace(QgsWkbTypes=qc.QgsWkbTypes, QVariant=QVariant,  # the names this script uses
                            QgsFeatureRequest=qc.QgsFeatureRequest)

    qc.QgsApplication.setPrefixPath("/usr", True)
    app = qc.QgsApplication([], False)
    app.initQgis()
    logged: list[str] = []
    qc.QgsApplication.messageLog().messageReceived.connect(
        lambda message, tag, level: logged.append(f"[{tag}] {level}: {message}") if level >= qc.Qgis.Warning else None)
    report = Report()
    report.line(f"QGIS {qc.Qgis.QGIS_VERSION}; database {db}")
    qc.QgsMessageLog.logMessage("probe", "qgis_check", qc.Qgis.Warning)
    app.processEvents()
    report.check(logged == ["[qgis_check] 1: probe"], f"the message log is not captured: {logged}")
    logged.clear()

    added = _cli(db, "user", "add", OFFICER[0], "--role", "placename_officer", "--password-stdin",
                 stdin=f"{OFFICER[1]}\n{OFFICER[1]}\n")
    report.check(added.returncode == 0 or "exists" in added.stderr or "已存在" in added.stderr,
                 f"user add: {added.stderr[-300:]}")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")} | {"XINCHENG_SECRET_KEY": "q" * 40}
    server = subprocess.Popen([str(XINCHENG), "--database-url", f"sqlite:///{db}", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                _get(f"{base}/api/health")
                break
            except OSError:
                time.sleep(0.2)
        login = urllib.request.Request(f"{base}/api/auth/login", method="POST",
                                       data=json.dumps({"username": OFFICER[0], "password": OFFICER[1]}).encode(),
                                       headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login, timeout=60) as r:
            token = json.loads(r.read())["access_token"]
        anonymous = {c["id"]: c for c in _get(f"{base}/ogc/collections")["collections"]}
        officer = {c["id"]: c for c in _get(f"{base}/ogc/collections", token)["collections"]}
        report.line(f"/ogc anonymous: {len(anonymous)} collections: {', '.join(anonymous)}")
        report.line(f"/ogc officer:   {len(officer)} collections: {', '.join(officer)}")
        report.check(set(anonymous) < set(officer), "an officer does not see more collections than the public")

        config = qc.QgsAuthMethodConfig("Basic")
        config.setName("xincheng officer")
        config.setConfig("username", OFFICER[0])
        config.setConfig("password", token)
        manager = qc.QgsApplication.authManager()
        manager.setMasterPassword("qgis-check", True)
        report.check(manager.storeAuthenticationConfig(config)[0], "QGIS could not store the Basic auth config")

        hidden = [cid for cid in officer if cid not in anonymous]
        for who, collections, authcfg, bearer in (("anonymous", list(anonymous), "", None),
                                                  ("officer (officer-only layers)", hidden, config.id(), token)):
            report.line(f"OAPIF as {who}:")
            for cid in collections:
                uri = f"url='{base}/ogc' typename='{cid}'" + (f" authcfg='{authcfg}'" if authcfg else "")
                started = time.monotonic()
                layer = qc.QgsVectorLayer(uri, cid, "OAPIF")
                matched = _get(f"{base}/ogc/collections/{cid}/items?limit=1", bearer).get("numberMatched")
                _check_layer(report, cid, layer, qgis_names, expected=matched)
                report.line(f"    ({time.monotonic() - started:.1f} s)")
                if cid.startswith(("admin_units", "boundary_lines")) and layer.isValid():
                    _boundary_label(report, cid, layer)
        app.processEvents()
        read_problems = list(logged)  # what a user's normal reading logged
        for cid in hidden:  # what an anonymous client asks for by name: refused, not listed
            layer = qc.QgsVectorLayer(f"url='{base}/ogc' typename='{cid}'", cid, "OAPIF")
            report.check(not layer.isValid() or _count(layer) == 0, f"{cid}: readable without a login")
    finally:
        server.terminate()
        server.wait(timeout=30)
    app.processEvents()
    refused = logged[len(read_problems):]  # expected: the refusals of the deliberate anonymous requests
    del logged[len(read_problems):]

    report.line("GeoPackage (xincheng export):")
    with tempfile.TemporaryDirectory() as folder:
        for name in EXPORTED:
            path = Path(folder) / f"{name}.gpkg"
            done = _cli(db, "export", str(path), "--layer", name)
            report.check(done.returncode == 0, f"export {name}: {done.stderr[-300:]}")
            if done.returncode:
                continue
            probe = qc.QgsVectorLayer(str(path), name, "ogr")
            sublayers = probe.dataProvider().subLayers() if probe.isValid() else []
            kinds = [s.split(qc.QgsDataProvider.sublayerSeparator())[1:4] for s in sublayers]
            names = list(dict.fromkeys(k[0] for k in kinds)) or [name]
            report.check(len(kinds) <= len(names), f"{path.name}: a layer of several geometry types {kinds}")
            report.line(f"  {path.name}: layers {names}")
            for sub in names:
                layer = qc.QgsVectorLayer(f"{path}|layername={sub}", sub, "ogr")
                _check_layer(report, f"{path.name}|{sub}", layer, qgis_names, expected=None)
                if name in ("admin_units", "boundary_lines") and layer.isValid():
                    _boundary_label(report, f"{path.name}|{sub}", layer)
    app.processEvents()
    report.line(f"QGIS message log (warnings and worse) while reading /ogc and the GeoPackages: {len(logged)}; "
                f"refusals of officer-only layers asked for anonymously by name (expected): {len(refused)}")
    for message in logged[:20]:
        report.line(f"  {message[:300]}")
    report.check(not logged, "QGIS logged warnings or errors")
    report.line("OK" if not report.failures else f"{len(report.failures)} checks failed")
    return 0 if not report.failures else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="the sample district's SQLite file (default: built afresh)")
    args = parser.parse_args()
    if args.db is not None:
        return run(args.db.resolve())
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "sample.db"
        built = _cli(db, "init")
        if built.returncode:
            print(built.stderr[-2000:], file=sys.stderr)
            return 2
        return run(db)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # QGIS 3.22's exitQgis() may crash a script at exit; nothing is left to clean up
