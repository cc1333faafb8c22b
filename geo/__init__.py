"""Domain model and spatial computation for the Xincheng civil-affairs GIS service.

One package per body of rules (:mod:`geo.placenames`, :mod:`geo.plates`, :mod:`geo.boundaries`,
:mod:`geo.planning`), each naming its use cases; storage in :mod:`geo.store`, file import and
export in :mod:`geo.io`, and the kernel they share beside them (ARCHITECTURE.md). Nothing here
imports :mod:`api` or :mod:`maps`.
"""

DISTRICT_ADCODE = "150102"
DISTRICT_NAME = "新城区"
