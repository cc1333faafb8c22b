"""Domain model and spatial computation for the Xincheng civil-affairs GIS service.

Pure computation lives in the modules of this package; storage lives in :mod:`geo.store`
and file import/export in :mod:`geo.io`. Nothing here imports :mod:`api`.
"""

DISTRICT_ADCODE = "150102"
DISTRICT_NAME = "新城区"
