"""Planning for elder care and cemeteries: what the district's five-year plan measures.

Rules: FA-01 (15-minute walking coverage), FA-02/FA-03 (service floor area per hundred households),
CM-01 (burial-ban zones), the plan's indicators. One use case reads the store:
:func:`run_planning` (through :class:`PlanningInputs`), and :func:`run_siting` and
:func:`run_accessibility` reuse its network and attachments. Everything else is pure computation on
frames: ``coverage``, ``floor_area``, ``accessibility`` (2SFCA), ``siting`` (maximal coverage),
``cemeteries``, ``indicators``, over the walking network engine in ``network`` (attach, solve,
resolve).
"""

from geo.planning.coverage import WalkParams
from geo.planning.run import PlanningInputs, PlanningRun, run_accessibility, run_planning, run_siting, walk_params

__all__ = ["PlanningInputs", "PlanningRun", "WalkParams", "run_accessibility", "run_planning", "run_siting",
           "walk_params"]
