"""``xincheng indicators --as-of DATE``: the indicators computed (not stored) for a past date.

Its own module so that api/cli/planning.py (the ``indicators`` group) and api/cli/indicator_history.py
(its subcommands, which import the group) both use it without an import cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from api.cli.common import Context, domain_errors, step_bar
from geo.messages import text


def run_as_of(obj: Context, as_of: str, *, preset: str, minutes: float | None, speed_m_per_s: float | None,
              kinds: str | None, norms_path: Path | None = None) -> Any:
    """Return the planning run of the facilities open on ``as_of`` (computed, not stored)."""
    from geo.planning.history import check_as_of, indicators_on
    from geo.planning.norms_settings import load_norms
    from geo.planning.run import PlanningInputs, parse_kinds, walk_params

    with domain_errors(), step_bar(2, "规划计算 planning") as bar:
        day = check_as_of(as_of)
        params, chosen = walk_params(preset, minutes, speed_m_per_s), parse_kinds(kinds)
        inputs = PlanningInputs.load(obj.store)
        bar.update(1)
        run = indicators_on(inputs, day, params, chosen, norms=load_norms(norms_path))
        bar.update(1)
    click.echo(f"统计日期 as of: {day.isoformat()}（未保存 not stored; 数据版本 data version {inputs.data_version}）")
    click.echo(text("indicator_history.note.open_only"))
    return run
