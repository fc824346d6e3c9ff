"""The one importer every layer uses (areas, assets, facilities, past issues).

A source (any GDAL vector format, zipped Shapefiles, CSV with lat/lon columns) yields numbered
features already reprojected to WGS 84; a target (one per kind of record) turns each into a model
row and writes batches. `run` ties them together in one transaction with a progress callback, so
the management commands and the admin share it (mapit's add_areas_from_file core).
"""

from toolkit.importing.core import ImportFailed, ImportReport, RowError, run  # noqa: F401
from toolkit.importing.sources import SourceFeature, open_source  # noqa: F401
