"""Run the ``xincheng`` command for a test: in this process (click's CliRunner), or as a real process.

Most CLI tests check what a command prints, its exit status and what it stores; a new Python
process for each call adds only the start-up (importing geopandas, pandas, shapely ... costs
seconds), so :func:`run` invokes the same click command tree in this process, with the same
environment a subprocess would get (no ``XINCHENG_`` variable but those given), stdin, and stdout
and stderr kept apart. An exception the command does not handle becomes exit status 1 and a
``Traceback`` on stderr, as in a real process, so "no traceback" checks keep their meaning.

:func:`run_process` starts ``python -m api.cli`` for what only a real process shows: the
installed entry point, exit statuses as the shell sees them, signals and kills, servers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
import warnings
from pathlib import Path


def _environment(env_extra: dict[str, str] | None, *, clear: bool) -> dict[str, str | None]:
    """The changes to ``os.environ`` for one call: every ``XINCHENG_`` variable (or, with ``clear``, every
    variable) removed, then ``env_extra`` set."""
    changes: dict[str, str | None] = {k: None for k in os.environ if clear or k.startswith("XINCHENG_")}
    changes.update(env_extra or {})
    return changes


def invoke(args: list[str], *, stdin: str | None = None, env_extra: dict[str, str] | None = None,
           clear_env: bool = False) -> subprocess.CompletedProcess:
    """Run ``xincheng *args`` in this process; return its exit status, stdout and stderr like ``subprocess.run``."""
    from click.testing import CliRunner

    from api.cli import main

    runner = CliRunner()  # click >= 8.2: stdout and stderr apart
    with warnings.catch_warnings():  # as in a new process: warnings are printed, not the suite's errors
        warnings.resetwarnings()
        warnings.simplefilter("default")
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.filterwarnings("ignore", category=category)
        result = runner.invoke(main, args, input=stdin, env=_environment(env_extra, clear=clear_env),
                               prog_name="xincheng", catch_exceptions=True)
    stderr = result.stderr
    if result.exc_info is not None and not isinstance(result.exc_info[1], SystemExit):
        stderr += "".join(traceback.format_exception(*result.exc_info))  # what Python prints on its way out
    return subprocess.CompletedProcess(["xincheng", *args], result.exit_code, result.stdout, stderr)


def run(*args: str, db: Path, stdin: str | None = None, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    """``xincheng --database-url sqlite:///db *args``, in this process (see the module's docstring)."""
    return invoke(["--database-url", f"sqlite:///{db}", *args], stdin=stdin, env_extra=env_extra)


def run_process(*args: str, db: Path, stdin: str | None = None,
                env_extra: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m api.cli --database-url sqlite:///db *args`` as a real process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "api.cli", "--database-url", f"sqlite:///{db}", *args],
                          capture_output=True, text=True, input=stdin, env=env, timeout=300)
