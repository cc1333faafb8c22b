"""The ``xincheng`` command as its users meet it: help everywhere, usage errors, readable tables, files that say how.

Commands run against a real SQLite file. Most run in the test's own process (tests/xincheng_cli.py:
the same click command, arguments, environment, exit status, stdout and stderr, with no process
start-up each time); the installed ``xincheng`` entry point answers ``--help`` and a usage error as a
real process in an empty environment, and the checks that a broken database or two racing ``init``
commands give a message and an exit status run real processes (the start-up time of ``--help`` is
measured by a benchmark, not here).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest

from geo.store import Store
from tests.conftest import CliSample
from tests.xincheng_cli import invoke, run

# With pytest-xdist (scripts/test.sh: --dist loadgroup) this module runs in one worker:
# with the other CLI module, so ``xincheng init`` builds their sample once.
pytestmark = pytest.mark.xdist_group("cli")

ROOT = Path(__file__).resolve().parents[1]
XINCHENG = shutil.which("xincheng", path=str(Path(sys.executable).parent)) or ""
HAN = re.compile(r"[\u4e00-\u9fff]")


def _command_paths() -> list[tuple[str, ...]]:
    """Return every command and group of the click tree, the top level first."""
    import click

    from api.cli import main

    def walk(group: click.Group, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
        out = []
        for name, cmd in sorted(group.commands.items()):
            out.append((*prefix, name))
            if isinstance(cmd, click.Group):
                out.extend(walk(cmd, (*prefix, name)))
        return out

    return [(), *walk(main, ())]


@pytest.mark.skipif(not XINCHENG, reason="the xincheng console script is not installed")
def test_help_through_the_installed_command_in_an_empty_environment(tmp_path):
    """The installed entry point, as a real process with no environment at all: top level and a group."""
    for path in ((), ("plates",), ("plates", "print")):
        r = subprocess.run([XINCHENG, *path, "--help"], capture_output=True, text=True, env={}, cwd=tmp_path,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(f"Usage: xincheng {' '.join(path)}".rstrip()), r.stdout[:200]
        assert "Traceback" not in r.stderr and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "xincheng")
def test_help_of_every_command_in_an_empty_environment(path, tmp_path, monkeypatch):
    """No secret, no database URL, no HOME: every --help answers with its usage and creates nothing."""
    monkeypatch.chdir(tmp_path)
    r = invoke([*path, "--help"], clear_env=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"Usage: xincheng {' '.join(path)}".rstrip()), r.stdout[:200]
    assert "Traceback" not in r.stderr and list(tmp_path.iterdir()) == []
    if path:  # --dev is accepted after every command name, as the README writes it
        assert "--dev" in r.stdout


@pytest.fixture(scope="module")
def sample(cli_sample: CliSample, tmp_path_factory) -> Path:
    """This module's copy of the sample district ``xincheng init`` built (tests/conftest.py)."""
    return cli_sample.copy(tmp_path_factory.mktemp("cli_usage"))


def test_dev_after_the_command_name_as_before_it(sample, tmp_path):
    db = tmp_path / "empty.db"
    r = run("user", "add-dev-accounts", db=db)  # not in dev mode: refused, in Chinese first
    assert r.returncode == 2 and "开发账号只能在 --dev 模式下创建" in r.stderr
    assert run("init", "--empty", "--dev", db=db).returncode == 0
    r = run("user", "add-dev-accounts", "--dev", db=db)
    assert r.returncode == 0, r.stderr
    assert "dev-admin / dev-admin-dev-pass" in r.stdout
    r = run("user", "--dev", "list", db=db)
    assert r.returncode == 0 and "dev-planner" in r.stdout and "仅开发 dev-only" in r.stdout


def _bad_calls(tmp: Path, sample_db: Path) -> list[tuple[list[str], str]]:
    """Return (arguments, what the error must name) for the mistakes users make."""
    empty = tmp / "empty.geojson"
    empty.write_text("", encoding="utf-8")
    not_zip = tmp / "nightly.zip"
    not_zip.write_text("not a zip", encoding="utf-8")
    some = tmp / "some.geojson"
    some.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    (tmp / "loop-a").symlink_to(tmp / "loop-b")
    (tmp / "loop-b").symlink_to(tmp / "loop-a")
    long = "长" * 90  # 270 bytes in UTF-8: over the 255 a Linux file system allows (was exit 1, the OS's English)
    (tmp / "to-long").symlink_to(tmp / ("a" * 300))  # a link to a name too long (was exit 1, the OS's English)
    deep = tmp.joinpath(*["b" * 200] * 22)  # over the 4,096 bytes of a whole path (exit 1, the path twice, in English)
    (tmp / "nowhere.csv").symlink_to(tmp / "no-folder" / "out.csv")  # review: exit 1, the OS's English, twice
    (tmp / "gone-dir").symlink_to(tmp / "no-such-folder")
    return [
        (["gazetteer", "export", str(tmp / "nowhere.csv")], "nowhere.csv"),
        (["export", str(tmp / "gone-dir" / "x.gpkg"), "--layer", "facilities"], "no-such-folder"),
        (["export", "~/x.gpkg", "--layer", "facilities"], "没有展开"),  # was "there is no folder ~: create it"
        (["export", str(tmp / "to-long" / "x.gpkg"), "--layer", "facilities"], "指向的名称过长"),
        (["import", str(tmp / "to-long"), "--layer", "facilities"], "指向的名称过长"),
        (["export", str(deep / "x.gpkg"), "--layer", "facilities"], "路径过长"),
        (["import", str(deep / "x.gpkg"), "--layer", "facilities"], "路径过长"),
        (["export", str(tmp / f"{long}.gpkg"), "--layer", "facilities"], "名称过长"),
        (["import", str(tmp / long / "x.gpkg"), "--layer", "facilities"], "名称过长"),
        (["export", str(tmp / "loop-a" / "x.gpkg"), "--layer", "facilities"], "loop-a"),  # was "no folder loop-a"
        (["import", str(tmp / "loop-a"), "--layer", "facilities"], "循环"),
        # Second review: 248–255 bytes passed, then SQLite's "-journal" beside the GeoPackage failed in English (exit 1)
        (["export", str(tmp / ("a" * 243 + ".gpkg")), "--layer", "facilities"], "243"),
        # Review: a table's "t.parameters.json" beside "t.csv" takes 12 bytes more; the CSV was left without it
        (["coverage", "--out", str(tmp / ("c" * 243 + ".csv"))], "名称过长"),
        # click's own English about a Chinese file name was taken for one of our bilingual messages and left English;
        # and these options had no name-length check at all
        (["divisions", "split", "150102001001", "--parts", str(tmp / "界线.geojson")], "界线"),
        (["divisions", "split", "150102001001", "--parts", str(tmp / f"{long}.geojson")], "名称过长"),
        (["cemetery", "map", str(tmp / "甲" / "x.html")], "甲"),
        (["signs", "print", "X", "--out", str(tmp / f"{long}.pdf")], "名称过长"),
        (["export", "/no/such/dir/x.gpkg", "--layer", "facilities"], "/no/such/dir"),
        (["export", str(tmp), "--layer", "facilities"], "PATH"),
        (["export", str(tmp / "f.gpkg"), "--layer", "facilities", "--crs", "EPSG:99999"], "crs"),
        (["export", str(tmp / "f.kml"), "--layer", "facilities"], "f.kml"),
        (["boundaries", "compare", str(some), "--crs", "GCJ02", "--neighbour", "150103",
          "--out", str(tmp / "x.kml")], "--out"),
        (["boundaries", "compare", str(tmp / "missing.geojson"), "--crs", "GCJ02", "--neighbour", "150103"], "PATH"),
        (["import", str(empty), "--layer", "facilities", "--crs", "GCJ02"], "empty.geojson"),
        (["import", str(tmp), "--layer", "facilities", "--crs", "GCJ02"], "PATH"),
        (["restore", str(not_zip)], "nightly.zip"),
        (["restore", str(sample_db)], ".zip"),
        (["backup", str(tmp / "no-folder" / "b.zip")], "no-folder"),
        (["coverage", "--minutes", "-3"], "--minutes"),
        (["coverage", "--kinds", "cats"], "--kinds"),
        (["coverage", "--out", str(tmp / "t.txt")], "--out"),
        (["coverage", "--plates", str(tmp / "nowhere" / "p.csv")], "--plates"),
        (["report", str(tmp / "plan.pdf")], "PATH"),
        (["map", str(tmp / "no-folder" / "d.html")], "PATH"),
        (["gazetteer", "export", str(tmp / "names.txt")], "PATH"),
        (["--dev", "plates", "qr", str(some), "--street", "新华大街"], "FOLDER"),
        (["--dev", "plates", "print", str(tmp / "batch.svg"), "--street", "新华大街"], "PATH"),
    ]


def test_mistakes_are_usage_errors_in_chinese_naming_the_option(sample, tmp_path):
    for args, named in _bad_calls(tmp_path, sample):
        r = run(*args, db=sample)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and named in r.stderr, (args, r.stderr)
        message = r.stderr.split("Error: ", 1)[1]
        assert HAN.match(message) or HAN.search(message.split(" · ")[0]), (args, message)
    assert not list(tmp_path.glob("*.gpkg")) and not (tmp_path / "plan.pdf").exists()


def _cli_in(folder: Path, *args: str, db: Path, first: str = "") -> subprocess.CompletedProcess:
    """Run the CLI as a process from the working folder ``folder``, after the shell command ``first`` (which may
    remove that folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    command = [sys.executable, "-m", "api.cli", "--database-url", f"sqlite:///{db}", *args]
    return subprocess.run(["sh", "-c", f'{first} exec "$@"', "sh", *command], cwd=folder,
                          capture_output=True, text=True, env=env, timeout=300)


def test_whole_paths_are_measured_as_given_with_room_for_what_is_written_beside_or_inside(sample, tmp_path):
    """Review of the whole-path check: it measured the absolute, tidied path, so a short relative name in a deep
    working folder was refused, one shortened by ".." got through to the OS's English, and a working folder removed
    meanwhile ended at exit 1; a backup's ".partial" and a folder's files had no room left."""
    deep = tmp_path.joinpath(*["d" * 200] * 19)  # ~3,900 bytes: a relative name from here is short
    deep.mkdir(parents=True)
    done = _cli_in(deep, "gazetteer", "export", "names.csv", db=sample)
    assert done.returncode == 0 and (deep / "names.csv").exists(), done.stderr
    gone = tmp_path / "gone"
    gone.mkdir()
    removed = _cli_in(gone, "map", "d.html", db=sample, first="rmdir ../gone &&")
    assert removed.returncode == 2 and "当前所在的文件夹已不存在" in removed.stderr, removed.stderr
    (tmp_path / "ok").mkdir()
    dotted = "ok/../" * 700 + "x.csv"  # 4,205 bytes as given, 5 once tidied
    long_by_dots = _cli_in(tmp_path, "gazetteer", "export", dotted, db=sample)
    assert long_by_dots.returncode == 2 and "路径过长" in long_by_dots.stderr, long_by_dots.stderr
    # a backup of 4,090 bytes in all: its ".partial" went over 4,095; a folder of 4,000: no room for its files' names
    folder = deep / ("e" * (4090 - len(os.fsencode(str(deep))) - len("/") - len("/b.zip")))
    folder.mkdir()
    qr_folder = deep / ("q" * (4000 - len(os.fsencode(str(deep))) - len("/")))
    for args in (["backup", str(folder / "b.zip")], ["--dev", "plates", "qr", str(qr_folder), "--street", "新华大街"]):
        refused = run(*args, db=sample)
        assert refused.returncode == 2 and "路径过长" in refused.stderr, (args, refused.stderr)
    assert not qr_folder.exists() and not list(folder.iterdir())


def test_names_beginning_with_a_tilde_and_links_to_files_yet_to_be_written_are_written(sample, tmp_path):
    """Review of the dangling-link and "~" checks: a new "~tmp.csv" was refused as an unexpanded "~", and an output
    link to a file not yet written (its folder there) was refused as pointing nowhere; both were written before.
    A link to a link to nothing names the name at the end, not the link between."""
    (tmp_path / "real").mkdir()
    (tmp_path / "new.csv").symlink_to(tmp_path / "real" / "new.csv")
    (tmp_path / "dang.gpkg").symlink_to(tmp_path / "nothing.gpkg")
    (tmp_path / "dang2.gpkg").symlink_to(tmp_path / "dang.gpkg")
    for name in ("~tmp.csv", "new.csv"):
        done = _cli_in(tmp_path, "gazetteer", "export", name, db=sample)
        assert done.returncode == 0, (name, done.stderr)
    assert (tmp_path / "~tmp.csv").exists() and (tmp_path / "real" / "new.csv").exists()
    chained = run("import", str(tmp_path / "dang2.gpkg"), "--layer", "facilities", "--crs", "EPSG:4490", db=sample)
    assert chained.returncode == 2 and "nothing.gpkg" in chained.stderr, chained.stderr


def test_a_geopackage_named_with_a_hash_or_question_mark_imports(sample, tmp_path):
    """Review: the view check opened ``file:{path}?mode=ro`` unescaped, so "a#1.gpkg" was called not a GeoPackage."""
    db = tmp_path / "copy.db"
    shutil.copyfile(sample, db)
    for name in ("设施#1.gpkg", "q?.gpkg"):
        out = tmp_path / name
        assert run("export", str(out), "--layer", "facilities", db=db).returncode == 0
        done = run("import", str(out), "--layer", "facilities", "--mode", "upsert", "--crs", "EPSG:4490", db=db)
        assert done.returncode == 0 and "不是有效的 GeoPackage" not in done.stderr, done.stderr


def test_a_missing_chinese_file_name_is_said_in_chinese(sample, tmp_path):
    """Second review of #15: click's own "File '界线.geojson' does not exist." was taken for one of our bilingual
    messages (it holds Han characters) and shown in English after the Chinese prefix."""
    for args in (["divisions", "split", "150102001001", "--parts", str(tmp_path / "界线.geojson")],
                 ["cemetery", "stats", "import", str(tmp_path / "殡葬统计.csv")]):
        r = run(*args, db=sample)
        assert r.returncode == 2 and "文件不存在" in r.stderr and "does not exist" not in r.stderr, (args, r.stderr)


def test_data_refusals_print_the_message_without_the_usage_lines(sample, tmp_path):
    """Review of #15: a snapshot id naming nothing, or a street with no active plates to print, was answered with
    click's "Usage: …" and "Try '… --help'" above the message; status 2 (bad input) with the message alone."""
    for args, said in ((["indicators", "compare", "999", "1000"], "999"),
                       (["--dev", "plates", "print", str(tmp_path / "p.pdf"), "--street", "没有这条街"], "门牌")):
        r = run(*args, db=sample)
        assert r.returncode == 2 and said in r.stderr, (args, r.stderr)
        assert "Usage:" not in r.stderr and "--help" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = run("indicators", "compare", "--bogus", db=sample)  # a real usage error keeps its usage lines
    assert r.returncode == 2 and "Usage:" in r.stderr, r.stderr
    # Recheck review: `addresses print` named options it does not have (--street, --community, --reprints).
    r = run("--dev", "addresses", "print", str(tmp_path / "a.pdf"), db=sample)
    assert r.returncode == 2 and "--plate" in r.stderr and "--address" in r.stderr, r.stderr
    assert "--street" not in r.stderr.split("Error:", 1)[1], r.stderr
    with closing(sqlite3.connect(sample)) as conn:
        plate = conn.execute("SELECT plate_uid FROM addresses WHERE level IN ('building', 'unit') GROUP BY plate_uid "
                             "HAVING count(*) > 1 LIMIT 1").fetchone()[0]
    r = run("--dev", "addresses", "print", str(tmp_path / "a.svg"), "--plate", plate, db=sample)
    assert r.returncode == 2 and "--address" in r.stderr and "Usage:" not in r.stderr, r.stderr
    assert not (tmp_path / "a.svg").exists()
    # An address naming nothing was status 1 where a plate naming nothing is 2 (left by a review of #15).
    r = run("--dev", "addresses", "print", str(tmp_path / "a.svg"), "--address", "NOPE", db=sample)
    assert r.returncode == 2 and "NOPE" in r.stderr and "没有地址" in r.stderr and "Usage:" not in r.stderr, r.stderr


def test_a_write_that_fails_deep_down_is_a_message_not_a_traceback(sample, tmp_path):
    """A full disk (/dev/full) passes the path checks and fails inside the writer: status 1, said in Chinese."""
    r = run("export", "/dev/full", "--layer", "facilities", "--format", "csv", db=sample)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "Error: 无法读写文件" in r.stderr and "No space left on device" in r.stderr
    blocker = tmp_path / "taken"
    blocker.write_text("a file where a folder is expected", encoding="utf-8")
    r = run("export", str(blocker / "x.gpkg"), "--layer", "facilities", db=sample)
    assert r.returncode == 2 and "文件夹" in r.stderr and "taken" in r.stderr
    # Review of #15: a path inside a file (`gb.zip/inner.zip`) was answered "there is no folder gb.zip".
    for inside in (blocker / "x.gpkg", blocker / "sub" / "x.gpkg"):
        r = run("export", str(inside), "--layer", "facilities", db=sample)
        assert r.returncode == 2 and f"{blocker} 是文件，不是文件夹" in r.stderr, r.stderr
        assert f"{blocker} is a file, not a folder" in r.stderr and "不存在" not in r.stderr, r.stderr


_LEAVE = """
import atexit, sys, threading, time
from api.cli.leave import leave
atexit.register(print, "退出处理已运行 exit handler ran")
print("未换行 no newline yet", end="")
if sys.argv[1] == "thread":
    threading.Thread(target=lambda: (time.sleep(0.5), print(" 线程完成 thread done", end=""))).start()
leave({"status": 3, "message": "停止 stopped", "thread": 0}[sys.argv[1]])
"""


@pytest.mark.parametrize(("how", "status", "stdout", "stderr"), [
    ("status", 3, "未换行 no newline yet退出处理已运行 exit handler ran\n", ""),
    ("message", 1, "未换行 no newline yet退出处理已运行 exit handler ran\n", "停止 stopped\n"),
    ("thread", 0, "未换行 no newline yet 线程完成 thread done退出处理已运行 exit handler ran\n", ""),
], ids=["status", "message", "thread"])
def test_a_command_that_leaves_at_once_still_runs_exit_handlers_flushes_and_waits_for_its_threads(
        how, status, stdout, stderr):
    """``xincheng`` skips Python's teardown when a command is done (api/cli/leave.py): what is still buffered, the
    exit handlers (logging's flush), the status ``sys.exit`` would give and a thread that is not a daemon all
    behave as with an ordinary exit."""
    r = subprocess.run([sys.executable, "-c", _LEAVE, how], capture_output=True, text=True, timeout=60,
                       encoding="utf-8")
    assert (r.returncode, r.stdout, r.stderr) == (status, stdout, stderr)


def test_a_text_exit_code_is_said_on_standard_error_and_never_on_standard_output(monkeypatch, capsys):
    """``sys.exit("message")`` is status 1 with the message on stderr; with stderr closed, ``print`` to it would
    have written it into the command's output (a pipeline's data) instead."""
    from api.cli.leave import exit_status

    assert exit_status("报错 failed") == 1 and capsys.readouterr() == ("", "报错 failed\n")
    monkeypatch.setattr(sys, "stderr", None)
    assert exit_status("报错 failed") == 1 and exit_status(None) == 0 and exit_status(3) == 3
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("closed", [">&-", "2>&-", ">&- 2>&-"])
def test_a_command_started_with_a_standard_stream_closed_still_does_its_work(closed, cli_sample, tmp_path):
    """``xincheng backup … 2>&-`` (a cron line, a service manager): Python then has no such stream; the quick exit
    must not trip over it (a review saw a traceback and status 1), nor the progress bar, which stopped the command
    before it wrote anything (a second review)."""
    import os
    import shlex

    db = cli_sample.copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    archive = tmp_path / "backup.zip"
    command = [sys.executable, "-m", "api.cli", "--database-url", f"sqlite:///{db}", "backup", str(archive)]
    r = subprocess.run(["bash", "-c", f"{shlex.join(command)} {closed}"], capture_output=True, text=True,
                       cwd=tmp_path, env=env, timeout=120)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    with zipfile.ZipFile(archive) as written:
        assert "manifest.json" in written.namelist()


def test_a_command_collects_garbage_at_a_rarer_pace_than_python(tmp_path):
    """The installed entry point runs a command with the garbage collector's rarer pace (api/cli/collector.py),
    printing nothing more: read from inside the real process, after its command, by an exit handler."""
    code = ("import atexit, gc, sys\nfrom api.cli import run\n"
            "atexit.register(lambda: print('thresholds', *gc.get_threshold(), file=sys.stderr))\n"
            "sys.argv = ['xincheng', 'gazetteer', '--help']\nrun()")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("Usage: xincheng gazetteer"), r.stderr
    assert r.stderr == "thresholds 200000 30 30\n", r.stderr


def test_the_report_through_a_real_process_is_whole_and_its_database_closed(cli_sample, tmp_path):
    """The planner's report as the shell runs it (the command leaves without Python's teardown): the page is
    written to its end, the status is 0, and the SQLite file is left closed, with no write-ahead log beside it."""
    import os

    db = cli_sample.copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    r = subprocess.run([sys.executable, "-m", "api.cli", "--database-url", f"sqlite:///{db}", "report",
                        str(tmp_path / "plan.html"), "--k", "2"], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert r.stdout.startswith("已写入 "), r.stdout
    page = (tmp_path / "plan.html").read_text(encoding="utf-8")
    assert page.rstrip().endswith("</html>") and "建议新站点 Proposed stations" in page
    assert not (tmp_path / "xincheng.db-wal").exists()


def test_output_into_a_pipe_closed_early_ends_quietly_and_a_full_disk_is_still_said(cli_sample, tmp_path):
    """``xincheng gazetteer search 路 | head -1``: the reader leaving is no error to report (status 1, nothing on
    stderr, as click ends a pipeline's writer); output that cannot be written for another reason (a full disk) is
    still said, Chinese first."""
    import os

    db = cli_sample.copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    command = [sys.executable, "-m", "api.cli", "--database-url", f"sqlite:///{db}", "gazetteer", "search", "路"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the command writes its first line
    with proc.stderr:
        stderr = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=120) == 1 and stderr == "", stderr
    with open("/dev/full", "w") as full:
        r = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    assert r.returncode == 1 and r.stderr.startswith("Error: 无法读写文件") and "Traceback" not in r.stderr, r.stderr


def test_a_database_that_cannot_be_opened_is_a_message_not_a_traceback(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    not_a_db = tmp_path / "names.csv"
    not_a_db.write_text("name\n新华大街\n", encoding="utf-8")
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # indicators: a group that runs by itself (its own callback, not a command's), which printed a traceback
    for url, args in ((f"sqlite:///{not_a_db}", ["migrate"]), (f"postgresql://nobody@127.0.0.1:{port}/x", ["migrate"]),
                      (f"sqlite:///{not_a_db}", ["indicators"])):
        r = subprocess.run([sys.executable, "-m", "api.cli", "--database-url", url, *args], capture_output=True,
                           text=True, env=env, timeout=120)
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
        last = r.stderr.strip().splitlines()[-1]  # after the progress bar, where a command draws one
        assert last.startswith("Error: 无法打开或读取数据库") and "--database-url" in last, r.stderr


@pytest.mark.parametrize("args", [["backup", "{out}"], ["user", "add", "zhang", "--role", "admin", "--password-stdin"],
                                  ["export", "{out}", "--layer", "facilities"], ["indicators"],
                                  ["refresh", "--in-process"]])
def test_a_command_that_does_not_make_databases_refuses_a_sqlite_file_that_is_not_there(args, tmp_path):
    """A mistyped path made an empty database: a backup of 0 rows "succeeded", an account was added where the
    service never looks (third review). Refused, the path named; neither the database nor the output made."""
    typo = tmp_path / "vra" / "xincheng.db"  # folder and file both missing
    out = tmp_path / "out.zip"
    r = run(*[a.format(out=out) for a in args], db=typo, stdin="a-long-password-1\na-long-password-1\n")
    last = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 1 and last.startswith(f"Error: 数据库文件不存在（或是空文件）：{typo}"), r.stderr
    assert "xincheng init" in last and not typo.parent.exists() and not out.exists()


def test_a_sqlite_uri_naming_a_missing_file_is_refused_too(tmp_path):
    """``sqlite:///file:PATH?uri=true`` (SQLite's own URI form) escaped the check and made the file (review)."""
    typo = tmp_path / "vra" / "x.db"
    r = invoke(["--database-url", f"sqlite:///file:{typo}?uri=true", "backup", str(tmp_path / "out.zip")])
    last = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 1 and last.startswith(f"Error: 数据库文件不存在（或是空文件）：{typo}"), r.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_import_into_a_database_that_is_not_there_is_refused_and_makes_nothing(tmp_path):
    """A refused import into a mistyped path left an empty, migrated database there, which later commands then
    took for the real one; removing it again could remove a database another process made meanwhile (review).
    So import makes no database: even a good file into a missing one is refused, naming it; nothing is made."""
    plates = tmp_path / "plates.geojson"
    plates.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    typo = tmp_path / "vra" / "new" / "x.db"
    r = run("import", str(plates), "--layer", "door_plates", "--crs", "EPSG:4490", db=typo)
    last = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 1 and last.startswith(f"Error: 数据库文件不存在（或是空文件）：{typo}"), r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plates.geojson"]


def test_a_home_folder_sign_in_a_sqlite_name_is_a_folder_name_as_sqlite_reads_it(tmp_path, monkeypatch):
    """SQLite opens ``~/sub/x.db`` under a folder named ``~``; the store made ``$HOME/sub`` instead, and SQLite
    then failed to open the file (review)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    store = Store.open("sqlite:///~/sub/x.db")
    try:
        store.migrate()
    finally:
        store.close()
    assert (tmp_path / "~" / "sub" / "x.db").is_file() and not (tmp_path / "home").exists()


def test_an_empty_file_is_no_database_and_a_path_is_read_as_sqlite_reads_it(cli_sample, tmp_path, monkeypatch):
    """A 0-byte file (what a sqlite3 shell or DB Browser leaves of a mistyped name) passed the check and got a
    0-row backup; ``nosuch/../x.db`` names a database SQLite opens, the system's ``exists`` said no (review)."""
    for content in (b"", b"\n"):  # `echo > x.db`: one byte, which SQLite too takes for an empty file
        empty = tmp_path / "empty.db"
        empty.write_bytes(content)
        r = run("backup", str(tmp_path / "b.zip"), db=empty)
        assert r.returncode == 1 and "数据库文件不存在（或是空文件）" in r.stderr, r.stderr
        assert empty.read_bytes() == content and not (tmp_path / "b.zip").exists()
        empty.unlink()
    fifo = tmp_path / "fifo.db"
    os.mkfifo(fifo)
    to_folder = tmp_path / "to-folder.db"
    to_folder.symlink_to(tmp_path, target_is_directory=True)
    # a folder, a pipe, a device, a link to a folder: named as what they are, also by the commands that make
    # databases (migrate said "disk I/O error" and left a lock file beside /dev/null; reviews)
    for command in (["backup", str(tmp_path / "b.zip")], ["migrate"], ["init", "--empty"]):
        for not_a_file in (tmp_path, fifo, Path("/dev/null"), to_folder):
            r = run(*command, db=not_a_file)
            said = f"数据库路径不是文件（是文件夹、管道、套接字或设备）：{not_a_file}"
            assert r.returncode == 1 and said in r.stderr, (command, r.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.db", "to-folder.db"]
    cli_sample.copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    r = invoke(["--database-url", "sqlite:///nosuch/../xincheng.db", "user", "list"])
    assert r.returncode == 0 and not (tmp_path / "nosuch").exists(), r.stderr


def _mount_read_only(folder: Path, at: Path) -> None:
    """Mount ``folder`` read-only at ``at`` (a bind mount: root with the right to mount), or skip the test."""
    at.mkdir()
    made = subprocess.run(["mount", "--bind", str(folder), str(at)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"a read-only mount needs root and the right to mount: {made.stderr.strip()}")
    sealed = subprocess.run(["mount", "-o", "remount,bind,ro", str(at)], capture_output=True, text=True)
    if sealed.returncode != 0:
        subprocess.run(["umount", str(at)], check=True)
        pytest.skip(f"cannot make the bind mount read-only: {sealed.stderr.strip()}")


def test_a_database_on_a_read_only_mount_is_refused_naming_the_place_unless_its_shm_came_with_it(cli_sample,
                                                                                                tmp_path):
    """On a read-only mount (a disc, a read-only share) SQLite cannot write the -shm a database in WAL mode needs
    even to be read: backup, export and user list stopped with "unable to open database file" and no word of
    why. The folder is named as read-only, Chinese first, and the way out said (a copy somewhere writable, with
    its -wal when there is one: it may hold committed changes; review). A database copied with its -wal and -shm
    (taken while it was open), or opened ``immutable=1``, SQLite opens read-only: let through. With only its -shm
    it cannot: refused (review). init, migrate and restore there say they write (they said "unable to open" or
    named the lock file; review)."""
    name = cli_sample.path.name
    plain, with_both, only_wal, only_shm, out = (tmp_path / n for n in ("plain", "both", "wal", "shm", "out"))
    for folder in (plain, with_both, only_wal, only_shm, out):
        folder.mkdir()
    cli_sample.copy(plain)
    archive = tmp_path / "backup.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip: refused for the folder before it is read
    held = sqlite3.connect(cli_sample.copy(tmp_path))  # open: its -wal and -shm are there to copy
    try:
        held.execute("PRAGMA journal_mode=WAL")
        held.execute("SELECT count(*) FROM users").fetchall()
        for folder, ends in ((with_both, ("", "-wal", "-shm")), (only_wal, ("", "-wal")), (only_shm, ("", "-shm"))):
            for end in ends:
                shutil.copyfile(tmp_path / f"{name}{end}", folder / f"{name}{end}")
    finally:
        held.close()
    mounted: list[Path] = []
    try:
        for folder in (plain, with_both, only_wal, only_shm):
            _mount_read_only(folder, tmp_path / f"ro-{folder.name}")
            mounted.append(tmp_path / f"ro-{folder.name}")
        ro_plain, ro_both, ro_wal, ro_shm = mounted
        for database, command in ((ro_plain, ["user", "list"]), (ro_plain, ["backup", str(out / "b.zip")]),
                                  (ro_plain, ["export", str(out / "f.gpkg"), "--layer", "facilities"]),
                                  (ro_shm, ["user", "list"]), (ro_wal, ["user", "list"])):
            r = run(*command, db=database / name)
            last = r.stderr.strip().splitlines()[-1]
            assert r.returncode == 1 and last.startswith(f"Error: 数据库所在的文件夹只读：{database}"), r.stderr
            assert f"{name}-shm" in last and "复制到可写的文件夹" in last, last
            assert last.index("只读") < last.index("read-only") and "Traceback" not in r.stderr
            assert (f"请把 {name} + {name}-wal 复制" in last) == (database == ro_wal), last
            assert (f"copy {name} + {name}-wal to" in last) == (database == ro_wal), last
        for command, database, folder in ((["init", "--empty"], ro_plain / "new.db", ro_plain),
                                          (["migrate"], ro_both / name, ro_both),
                                          (["restore", str(archive)], ro_plain / name, ro_plain),
                                          # missing folders it would make: the read-only one above (review)
                                          (["init", "--empty"], ro_plain / "sub" / "deeper" / "new.db", ro_plain),
                                          (["restore", str(archive)], ro_plain / "sub" / name, ro_plain)):
            r = run(*command, db=database)
            said = f"Error: 数据库所在的文件夹只读：{folder}；xincheng {command[0]} 要写入数据库"
            assert r.returncode == 1 and said in r.stderr, r.stderr
        assert list(out.iterdir()) == []
        r = run("user", "list", db=ro_both / name)
        assert r.returncode == 0 and "用户名 username" in r.stdout, r.stderr
        for said in ("1", "2", "yes", "TRUE"):  # SQLite's booleans: any whole number but 0 too (review)
            r = invoke(["--database-url", f"sqlite:///file:{ro_plain / name}?uri=true&immutable={said}",
                        "user", "list"])
            assert r.returncode == 0 and "用户名 username" in r.stdout, (said, r.stderr)
        for said in ("0", "%201", "no"):  # not immutable to SQLite (" 1" neither): refused for the folder
            r = invoke(["--database-url", f"sqlite:///file:{ro_plain / name}?uri=true&immutable={said}",
                        "user", "list"])
            assert r.returncode == 1 and "数据库所在的文件夹只读" in r.stderr, (said, r.stderr)
    finally:
        for at in mounted:
            subprocess.run(["umount", str(at)], check=True)


def test_with_standard_error_closed_an_error_never_lands_in_the_commands_output(tmp_path):
    """click writes its error to standard output when standard error is closed: into the data a pipeline reads
    (review). Now it goes nowhere; the status still says it."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    r = subprocess.run(["sh", "-c", f'exec "$0" -m api.cli --database-url sqlite:///{tmp_path}/no.db user list 2>&-',
                        sys.executable], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1 and r.stdout == "", r.stdout


def test_the_commands_that_make_databases_still_make_a_new_file(tmp_path):
    """init and migrate make the file (and its folder) they are pointed at, as before."""
    for command in ("migrate", "init"):
        db = tmp_path / command / "new.db"
        r = run(command, "--empty", db=db) if command == "init" else run(command, db=db)
        assert r.returncode == 0 and db.is_file(), r.stderr
    # SQLite's URI form: the file at the URI's path, its migration lock beside it (a URI took no lock; review)
    db = tmp_path / "uri" / "新城.db"
    r = invoke(["--database-url", f"sqlite:///file:{db}?uri=true&cache=shared", "migrate"])
    assert r.returncode == 0 and db.is_file() and db.with_name("新城.db.migrate.lock").is_file(), r.stderr


def test_a_database_another_program_keeps_locked_is_named_as_locked(tmp_path):
    """A file another program holds past the busy timeout says so, not "check --database-url"."""
    import sqlite3

    import click
    import sqlalchemy as sa

    from api.cli.common import outside_errors

    path = tmp_path / "held.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # a rollback-journal file: nobody else may read or write now
    try:
        engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})  # the real error, at once
        with pytest.raises(click.ClickException) as caught, outside_errors(), engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM t")
        engine.dispose()
    finally:
        holder.rollback()
        holder.close()
    message = caught.value.format_message()
    from geo.store.store import SQLITE_BUSY_TIMEOUT_S

    assert message.startswith("数据库文件被另一个程序锁定") and "locked by another program" in message
    assert f"等待 {SQLITE_BUSY_TIMEOUT_S} 秒" in message and f"within {SQLITE_BUSY_TIMEOUT_S} s" in message
    assert "--database-url" not in message


@pytest.mark.parametrize("database_url", ["postgis"], indirect=True)
def test_a_postgresql_lock_held_past_the_wait_is_named_as_held_by_another_session(database_url):
    """PostgreSQL's lock_timeout (the same 30 s as SQLite's busy timeout) says another session holds the records,
    not "check --database-url" (a review found the address blamed)."""
    import click
    import sqlalchemy as sa

    from api.cli.common import outside_errors
    from geo.store.store import SQLITE_BUSY_TIMEOUT_S, normalise_url

    engine = sa.create_engine(normalise_url(database_url))
    try:
        with engine.connect() as holder:
            holder.exec_driver_sql("CREATE TABLE held (x int)")
            holder.commit()
            holder.exec_driver_sql("LOCK TABLE held IN ACCESS EXCLUSIVE MODE")  # a transaction left open
            with pytest.raises(click.ClickException) as caught, outside_errors(), engine.connect() as conn:
                conn.exec_driver_sql("SET lock_timeout = 200")  # the real error, soon
                conn.exec_driver_sql("INSERT INTO held VALUES (1)")
            holder.rollback()
    finally:
        engine.dispose()
    message = caught.value.format_message()
    assert message.startswith("数据库中要写入的记录或表被另一个会话锁定") and "another database session" in message
    assert f"等待 {SQLITE_BUSY_TIMEOUT_S} 秒" in message and "--database-url" not in message, message


def test_setup_compiled_the_project_with_caches_checked_against_the_source(tmp_path):
    """scripts/setup-venv.sh compiles geo/, api/ and maps/ with hash-checked caches.

    A cache checked against the source's time alone runs stale code when a file is replaced by one of
    the same size and time (cp -p, rsync -a, tar); a hash-checked one is recompiled. Flags 0b11 in the
    header: hash-based, source checked (PEP 552).
    """
    import importlib.util

    caches = []
    for package in ("geo", "api", "maps"):
        for source in (ROOT / package).rglob("*.py"):
            cache = Path(importlib.util.cache_from_source(str(source)))
            if cache.exists():
                caches.append((source, int.from_bytes(cache.read_bytes()[4:8], "little"), cache.stat().st_mtime))
    setup_ran = max((mtime for _, flags, mtime in caches if flags == 0b11), default=None)
    assert len(caches) > 100 and setup_ran is not None, "run scripts/setup-venv.sh: it compiles the project"
    # A module first imported after setup by a process that writes caches gets Python's usual (time-checked)
    # one: setup did not write it. Those setup left behind are the ones to refuse.
    unchecked = [str(source.relative_to(ROOT)) for source, flags, mtime in caches
                 if flags != 0b11 and mtime <= setup_ran]
    assert not unchecked, f"caches not checked against their source (run scripts/setup-venv.sh): {unchecked[:5]}"


def test_readme_search_example_finds_the_road_and_no_hit_says_so(sample):
    r = run("gazetteer", "search", "xlglbl", db=sample)
    assert r.returncode == 0, r.stderr
    assert "锡林郭勒北路" in r.stdout.splitlines()[1] and "名称 name" in r.stdout
    r = run("gazetteer", "search", "xlbl", db=sample)  # no road has these initials in the sample
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("没有与“xlbl”匹配的地名") and "xlglbl" in r.stderr
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "xincheng gazetteer search xlglbl" in readme


def test_indicators_print_a_table_with_dashes_never_none(sample):
    r = run("indicators", db=sample)
    assert r.returncode == 0, r.stderr
    assert "None" not in r.stdout and "{" not in r.stdout
    header = next(line for line in r.stdout.splitlines() if line.startswith("序号 No."))
    assert "2020年 2020" in header and "2025年目标 2025 target" in header
    circle = next(line for line in r.stdout.splitlines() if line.startswith("一刻钟"))
    assert " — " in circle  # the 15-minute circle has no 2020 value
    assert "注 notes:" in r.stdout


def test_coverage_prints_whole_households_and_counts_plates_in_words(sample):
    r = run("coverage", db=sample)
    assert r.returncode == 0, r.stderr
    assert "{" not in r.stdout and "'covered'" not in r.stdout
    assert re.search(r"门牌 [\d,]+ 块在步行范围内，[\d,]+ 块在范围外", r.stdout)
    district = next(line for line in r.stdout.splitlines() if line.startswith("新城区"))
    covered, households = district.split()[1:3]
    assert re.fullmatch(r"[\d,]+", covered) and re.fullmatch(r"[\d,]+", households)  # whole households


def test_coverage_plates_writes_one_row_per_plate_with_parameters_in_every_format(sample, tmp_path):
    csv, xlsx, js = tmp_path / "plates.csv", tmp_path / "plates.xlsx", tmp_path / "plates.json"
    r = run("coverage", "--preset", "elderly", "--minutes", "12", "--plates", str(csv), "--out", str(xlsx), db=sample)
    assert r.returncode == 0, r.stderr
    store = Store.open(f"sqlite:///{sample}")
    active = store.count("door_plates", where={"status": "active"})
    version = store.data_version()
    store.close()
    # headers read "路网步行距离 (米) distance_m" and codes "15分钟内可达 covered": the internal name is last
    table = pd.read_csv(csv, encoding="utf-8-sig", dtype=str).rename(columns=lambda c: c.split()[-1])
    for column in ("distance_m", "minutes"):
        table[column] = pd.to_numeric(table[column])
    assert len(table) == active and table["plate_uid"].is_unique
    assert {"plate_uid", "address", "community", "plate_status", "coverage_status", "facility_name",
            "distance_m", "minutes"} <= set(table.columns)
    reached = table[table["coverage_status"].str.split().str[-1] == "covered"]
    assert len(reached) > 0
    assert (reached["distance_m"] <= 12 * 60 * 0.9 + 1e-6).all()
    assert (reached["distance_m"] % 1 != 0).any()  # unrounded metres
    assert reached["minutes"].sub(reached["distance_m"] / 0.9 / 60).abs().max() < 1e-6
    sidecar = json.loads((tmp_path / "plates.parameters.json").read_text(encoding="utf-8"))
    assert sidecar["table"] == "plates.csv"
    params = sidecar["parameters"]
    assert params["preset"] == "elderly" and params["minutes"] == 12 and params["speed_m_per_s"] == 0.9
    assert params["reach_m"] == pytest.approx(648) and params["max_attach_m"] == 150
    assert params["data_version"] == version and params["computed_at"].endswith("+00:00")
    described = {k.split()[-1]: v for k, v in sidecar["columns"].items()}
    assert described["distance_m"].startswith("路网步行距离")
    sheets = pd.read_excel(xlsx, sheet_name=None)
    data, sheet_params = list(sheets.values())
    assert "户数 households" in data.columns and (data["户数 households"] % 1 == 0).all()
    assert dict(zip(sheet_params["字段 key"], sheet_params["取值 value"].astype(str), strict=True))["minutes"] == "12.0"
    r = run("coverage", "--plates", str(js), db=sample)
    assert r.returncode == 0, r.stderr
    body = json.loads(js.read_text(encoding="utf-8"))
    assert body["parameters"]["preset"] == "default" and len(body["rows"]) == active


@pytest.mark.both_backends  # two inits at once: the database's own lock decides
def test_two_inits_at_once_one_loads_the_sample_the_other_is_refused(database_url, tmp_path):
    """Both backends: the loser is refused with a usage error and the sample is there once."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    command = [sys.executable, "-m", "api.cli", "--database-url", database_url, "init"]
    logs = [(tmp_path / f"out{i}.txt", tmp_path / f"err{i}.txt") for i in range(2)]
    procs = []
    for out, err in logs:
        with out.open("w") as out_file, err.open("w") as err_file:
            procs.append(subprocess.Popen(command, stdout=out_file, stderr=err_file, env=env))
    results = [(p.wait(timeout=300), out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8"))
               for p, (out, err) in zip(procs, logs, strict=True)]
    codes = sorted(code for code, _out, _err in results)
    assert codes == [0, 2], results
    assert all("Traceback" not in err for _code, _out, err in results)
    refused = next(err for code, _out, err in results if code == 2)
    assert "样例区不会混入其中" in refused
    if database_url.startswith("sqlite:///"):  # both processes closed the file: everything is in it, no log beside
        wal = Path(database_url.removeprefix("sqlite:///") + "-wal")
        assert not wal.exists(), f"{wal.name}: {wal.stat().st_size} bytes left beside the database"
    store = Store.open(database_url)
    try:
        assert 30_000 <= store.count("door_plates") <= 40_000  # loaded once, not twice
    finally:
        store.close()
    again = invoke(["--database-url", database_url, "init", "--if-empty"])  # no race now: in this process
    assert again.returncode == 0 and "保留原数据" in again.stdout


@pytest.mark.both_backends  # PostgreSQL read-only (a standby, default_transaction_read_only) is its own case
def test_a_write_to_a_database_that_opens_read_only_says_it_is_read_only_not_that_it_cannot_be_opened(database_url,
                                                                                                     store):
    """A database SQLite opens read-only (``mode=ro``, a read-only file, a copy on a read-only mount with its -wal
    and -shm) or a PostgreSQL that refuses writes (a standby, ``default_transaction_read_only``) can be read; a
    write command on it said "无法打开或读取数据库 … check --database-url" (review of the read-only folder
    refusal). It says the database is read-only and this command writes, Chinese first, and stores nothing."""
    url = database_url
    if store.dialect == "sqlite":
        read_only_url = f"sqlite:///file:{url.removeprefix('sqlite:///')}?uri=true&mode=ro"
    else:
        read_only_url = url + ("&" if "?" in url else "?") + "options=-c%20default_transaction_read_only%3Don"
    users = store.count("users")
    r = invoke(["--database-url", read_only_url, "user", "add", "ro_clerk", "--role", "admin", "--password-stdin"],
               stdin="a long enough password 1\n")
    last = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 1 and last.startswith("Error: 数据库只读，本命令要写入却无法写入"), r.stderr
    assert last.index("只读") < last.index("read-only") and "Traceback" not in r.stderr
    assert "--database-url" not in last, last  # the address was right: it is the database that refuses
    assert store.count("users") == users
    # said before the password is asked for, and before init builds the sample (review: both came first)
    asked = invoke(["--database-url", read_only_url, "user", "add", "ro_clerk", "--role", "admin"],
                   stdin="a long enough password 1\na long enough password 1\n")
    assert asked.returncode == 1 and "数据库只读" in asked.stderr and "password" not in asked.stderr, asked.stderr
    sample = invoke(["--database-url", read_only_url, "init"])
    assert sample.returncode == 1 and "数据库只读" in sample.stderr, sample.stderr
    assert "生成样例区" not in sample.stderr and store.count("door_plates") == 0
    listed = invoke(["--database-url", read_only_url, "user", "list"])  # reading it still works
    assert listed.returncode == 0 and "用户名 username" in listed.stdout, listed.stderr


def test_a_database_opened_immutable_beside_a_wal_holding_changes_says_they_are_not_read(cli_sample, tmp_path):
    """``immutable=1`` makes SQLite read the main file alone: a copy taken while the service ran, its -wal holding
    committed changes, showed the older state without a word (second review of the read-only folder refusal). The
    command goes on and says on standard error, Chinese first, that NAME-wal is not read and how to include it;
    beside a -wal holding no change, or none, it says nothing."""
    held_at, copied = tmp_path / "held", tmp_path / "copied"
    held_at.mkdir()
    copied.mkdir()
    name = cli_sample.path.name
    held = sqlite3.connect(cli_sample.copy(held_at))
    try:
        held.execute("PRAGMA journal_mode=WAL")
        held.execute("PRAGMA wal_autocheckpoint=0")  # the change stays in the -wal, as in a running service
        held.execute("UPDATE facilities SET name = '只在日志里' WHERE id = (SELECT min(id) FROM facilities)")
        held.commit()
        for end in ("", "-wal"):
            shutil.copyfile(held_at / f"{name}{end}", copied / f"{name}{end}")
    finally:
        held.close()
    assert (copied / f"{name}-wal").stat().st_size > 32  # the change is in the copied -wal
    url = f"sqlite:///file:{copied / name}?uri=true&immutable=1"
    out = tmp_path / "facilities.geojson"
    r = invoke(["--database-url", url, "export", str(out), "--layer", "facilities"])
    assert r.returncode == 0 and "只在日志里" not in out.read_text(encoding="utf-8"), r.stderr  # immutable: not read
    note = next(line for line in r.stderr.splitlines() if f"{name}-wal" in line)
    assert note.startswith(f"注意：数据库旁有 {name}-wal") and note.index("不读取") < note.index("not read"), note
    assert "复制到可写的文件夹" in note and f"copy {name} + {name}-wal" in note, note
    (copied / f"{name}-wal").write_bytes(b"")  # a -wal holding nothing: nothing to say
    quiet = invoke(["--database-url", url, "user", "list"])
    assert quiet.returncode == 0 and "用户名 username" in quiet.stdout and "-wal" not in quiet.stderr, quiet.stderr


@pytest.mark.parametrize("database_url", ["postgis"], indirect=True)
def test_a_postgresql_database_without_the_services_tables_is_refused_by_commands_that_do_not_make_one(
        database_url, tmp_path):
    """As a missing SQLite file is refused: `user list` on an empty PostgreSQL database (a mistyped name, a new
    database) made PostGIS and every table there, and on a read-only one said it "writes" (review). Only init,
    migrate and restore make a database; the others name the database, Chinese first, and leave it empty."""
    for args in (["user", "list"], ["backup", str(tmp_path / "b.zip")], ["refresh", "--in-process"],
                 ["export", str(tmp_path / "f.gpkg"), "--layer", "facilities"]):  # refresh: second review
        r = invoke(["--database-url", database_url, *args])
        last = r.stderr.strip().splitlines()[-1]
        assert r.returncode == 1 and last.startswith("Error: 数据库中还没有本服务的数据表："), (args, r.stderr)
        assert "xincheng init" in last and "Traceback" not in r.stderr, last
    assert list(tmp_path.iterdir()) == []
    store = Store.open(database_url)
    try:
        assert store.schema_version() == 0  # nothing made
        made = invoke(["--database-url", database_url, "init", "--empty"])
        assert made.returncode == 0, made.stderr
        assert store.schema_version() > 0 and invoke(["--database-url", database_url, "user", "list"]).returncode == 0
    finally:
        store.close()


@pytest.mark.parametrize("database_url", ["postgis"], indirect=True)
def test_an_account_without_privileges_is_told_a_grant_is_missing_not_that_the_database_cannot_be_opened(
        database_url):
    """A bureau's database account not granted the service's tables (or TEMP for imports) was told "无法打开或读取
    数据库（检查 --database-url…）", sending the administrator to check an address that was right (read-through)."""
    import uuid

    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    assert invoke(["--database-url", database_url, "init", "--empty"]).returncode == 0
    role = f"xc_noaccess_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # it may reach the service's schema, but was granted none of its tables
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{conn.exec_driver_sql("SELECT current_schema()").scalar()}" '
                             f"TO {role}")
    try:
        as_role = make_url(database_url).set(username=role, password=None)
        r = invoke(["--database-url", as_role.render_as_string(hide_password=False), "user", "list"])
        last = r.stderr.strip().splitlines()[-1]
        assert r.returncode == 1 and last.startswith("Error: 数据库拒绝了本操作：当前数据库账户缺少所需权限"), r.stderr
        assert "permission denied" in last and "检查 --database-url" not in last and "Traceback" not in r.stderr, last
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")  # its grant on the schema
            conn.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


@pytest.mark.parametrize("database_url", ["postgis"], indirect=True)
def test_a_command_rolled_back_to_end_a_deadlock_says_so_not_to_check_the_address(database_url):
    """The losing import of two that deadlocked was told "无法打开或读取数据库（检查 --database-url…）" (second
    review of the grouped upsert). A real deadlock between two sessions, its error passed through the commands'
    handler: it says another session changed the same records, nothing was changed, try again."""
    import threading

    import click
    import sqlalchemy as sa

    from api.cli.common import outside_errors

    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE deadlock_probe (id int PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO deadlock_probe VALUES (1), (2)")
    failures: list[BaseException] = []
    both_hold = threading.Barrier(2)

    def session(first: int, second: int) -> None:
        with engine.connect() as conn:
            try:
                conn.exec_driver_sql(f"SELECT id FROM deadlock_probe WHERE id = {first} FOR UPDATE")
                both_hold.wait(10)
                conn.exec_driver_sql(f"SELECT id FROM deadlock_probe WHERE id = {second} FOR UPDATE")
            except sa.exc.DBAPIError as exc:
                failures.append(exc)
            finally:
                conn.rollback()

    threads = [threading.Thread(target=session, args=pair) for pair in ((1, 2), (2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    engine.dispose()
    assert len(failures) == 1 and getattr(failures[0].orig, "sqlstate", None) == "40P01", failures
    with pytest.raises(click.ClickException) as told, outside_errors():
        raise failures[0]
    assert told.value.message.startswith("另一会话同时在改同一批记录"), told.value.message
    assert "未做任何更改" in told.value.message and "--database-url" not in told.value.message


def test_user_add_says_the_database_is_missing_before_asking_for_a_password(tmp_path):
    """An officer typed a password twice, then learned the database path was wrong (review of the read-only
    folder refusal): the database is opened first, so the refusal comes before any prompt."""
    missing = tmp_path / "no-such.db"
    r = invoke(["--database-url", f"sqlite:///{missing}", "user", "add", "clerk", "--role", "admin"],
               stdin="a long enough password 1\na long enough password 1\n")
    assert r.returncode == 1 and "数据库文件不存在" in r.stderr, (r.stdout, r.stderr)
    assert "password" not in r.stdout and "password:" not in r.stderr, (r.stdout, r.stderr)
    assert not missing.exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_sample_script_honours_port_and_the_qr_codes_follow(tmp_path):
    """scripts/serve-sample.sh with PORT: it listens there, and a plate's QR code points there."""
    import httpx

    from tests.qr_decode import decode_qr

    port = _free_port()
    db = tmp_path / "sample.db"
    env = {"PATH": "/usr/bin:/bin", "PORT": str(port), "XINCHENG_DATABASE_URL": f"sqlite:///{db}"}
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "serve-sample.sh")], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 240
        while True:
            try:
                if httpx.get(f"{base}/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.time() < deadline and proc.poll() is None, "the sample server did not start"
            time.sleep(0.5)
        login = httpx.post(f"{base}/api/auth/login", json={"username": "dev-admin", "password": "dev-admin-dev-pass"})
        assert login.status_code == 200, login.text
        store = Store.open(f"sqlite:///{db}")
        uid = store.select("door_plates", limit=1)[0]["plate_uid"]
        store.close()
        png = httpx.get(f"{base}/api/plates/{uid}/qr.png",
                        headers={"Authorization": f"Bearer {login.json()['access_token']}"})
        assert png.status_code == 200
        url = decode_qr(png.content)
        assert url.startswith(f"{base}/p/"), url
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert f"QR codes point at {base}" in out


# --- click's own usage errors, help texts and the address QR codes point at ---------------------------

CLICK_MISTAKES = [  # (arguments, the Chinese half starts with, the English half contains)
    (["nosuch"], "没有命令 nosuch", "No such command 'nosuch'"),
    (["export"], "缺少参数 PATH", "Missing argument 'PATH'"),
    (["export", "x.gpkg"], "缺少选项 --layer，可选：admin_units", "Missing option '--layer'"),
    (["export", "x.gpkg", "--layer", "facilities", "--nosuch"], "没有选项 --nosuch", "No such option '--nosuch'"),
    (["export", "x.gpkg", "--lay", "facilities"], "没有选项 --lay（是否想用 --layer？）", "did you mean --layer?"),
    (["export", "x.gpkg", "--layer"], "选项 --layer 需要给出值", "Option --layer requires a value"),
    (["export", "x.gpkg", "--layer", "cats"], "--layer 的值无效：cats 不在可选值中，可选：admin_units",
     "Invalid value for '--layer': cats is not one of"),
    (["gazetteer", "search", "x", "--limit", "ten"], "--limit 的值无效：ten 不是整数", "ten is not a valid integer"),
    (["gazetteer", "search", "x", "--limit", "0"], "--limit 的值无效：0 不在范围 1<=x<=1000 内",
     "0 is not in the range 1<=x<=1000"),
    (["boundaries", "report", "--close", "five"], "--close 的值无效：five 不是数字", "five is not a valid number"),
    (["reports", "list", "--since", "2026/12/01"], "--since 的值无效：2026/12/01 不符合日期格式",
     "does not match the format"),
    (["reports", "resolve", "x", "--note", "n", "--version", "1"], "REPORT_ID 的值无效：x 不是整数",
     "x is not a valid"),
    (["init", "extra"], "多余的参数：extra", "Got unexpected extra arguments: extra"),
    (["coverage", "--minutes", "abc"], "--minutes 的值无效：须为数字，收到 abc", "must be a number; got abc"),
    (["import", "/no/such/file.gpkg", "--layer", "facilities", "--crs", "GCJ02"], "PATH 的值无效：文件不存在",
     "Invalid value for 'PATH': no file /no/such/file.gpkg"),
]


@pytest.mark.parametrize(("args", "zh_start", "en_part"), CLICK_MISTAKES, ids=lambda v: " ".join(v)[:40]
                         if isinstance(v, list) else None)
def test_clicks_own_usage_errors_are_chinese_first_with_the_english_beside(args, zh_start, en_part, tmp_path,
                                                                           monkeypatch):
    """Every usage error, click's own included, is Chinese first naming the option; exit status 2."""
    monkeypatch.chdir(tmp_path)
    _chinese_usage_error(invoke(args, clear_env=True), zh_start, en_part)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not XINCHENG, reason="the xincheng console script is not installed")
def test_a_usage_error_through_the_installed_command_exits_2_in_chinese(tmp_path):
    """The same as a real process: what the shell sees is exit status 2 and the Chinese-first message."""
    for args, zh_start, en_part in (CLICK_MISTAKES[0], CLICK_MISTAKES[4]):
        r = subprocess.run([XINCHENG, *args], capture_output=True, text=True, env={}, cwd=tmp_path, timeout=60)
        _chinese_usage_error(r, zh_start, en_part)
    assert list(tmp_path.iterdir()) == []


def _chinese_usage_error(r: subprocess.CompletedProcess, zh_start: str, en_part: str) -> None:
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    message = r.stderr.split("Error: ", 1)[1].strip()
    zh, en = message.split(" · ", 1)
    assert zh.startswith(zh_start) and HAN.search(zh), message
    assert en_part in en, message


def _own_commands() -> list[tuple[str, object]]:
    """Return (path, command) of every command, planning and map ones included."""
    import click

    from api.cli import main

    out: list[tuple[str, object]] = []

    def walk(group: click.Group, prefix: str) -> None:
        for name, cmd in sorted(group.commands.items()):
            out.append((f"{prefix} {name}".strip(), cmd))
            if isinstance(cmd, click.Group):
                walk(cmd, f"{prefix} {name}")

    walk(main, "")
    return out


def test_every_command_and_option_is_described_chinese_first():
    import click

    from api.cli import main

    commands = _own_commands()
    assert len(commands) > 20
    wrong = []
    for path, cmd in [("xincheng", main), *commands]:
        assert isinstance(cmd, click.Command)
        if not HAN.match(cmd.help or "") or "·" not in (cmd.help or "").splitlines()[0]:
            wrong.append(f"{path}: {(cmd.help or '')[:50]!r}")
        ctx = click.Context(cmd, info_name=path)
        for param in [*cmd.params, cmd.get_help_option(ctx)]:
            if isinstance(param, click.Option):
                words = param.help or ""
                if not (HAN.match(words) and " · " in words):
                    wrong.append(f"{path} {param.opts[0]}: {words[:50]!r}")
    assert not wrong, "help not Chinese first with English beside:\n" + "\n".join(wrong)


def test_a_wildcard_host_gives_qr_codes_this_machines_network_address():
    import ipaddress

    from api.cli.serve import lan_address, own_base_url

    assert own_base_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert own_base_url("0.0.0.0", 8000, find_address=lambda: None) == "http://127.0.0.1:8000"
    address = lan_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    assert not ipaddress.ip_address(address).is_loopback
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, 0))  # it is one of this machine's own addresses
    assert own_base_url("0.0.0.0", 8000) == f"http://{address}:8000"


def test_the_warning_without_a_network_address_says_how_to_set_the_base_url():
    from geo.messages import text

    warning = text("cli.no_lan_address", port=8000)
    assert warning.startswith("警告：") and "XINCHENG_PUBLIC_BASE_URL=http://192.168.1.20:8000" in warning
    assert " · warning: " in warning


def test_serve_on_0_0_0_0_points_qr_codes_where_a_phone_reaches_it(tmp_path):
    """`xincheng serve --host 0.0.0.0` without XINCHENG_PUBLIC_BASE_URL: QR links use the network address."""
    import os

    import httpx

    from api.cli.serve import lan_address

    address = lan_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    db = tmp_path / "empty.db"
    assert run("--dev", "init", "--empty", db=db).returncode == 0
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "--database-url", f"sqlite:///{db}", "--dev", "serve",
                             "--host", "0.0.0.0", "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.strip() == f"二维码指向 http://{address}:{port} · QR codes point at http://{address}:{port}"
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(f"http://{address}:{port}/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.time() < deadline and proc.poll() is None, "the server did not answer on its network address"
            time.sleep(0.3)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
