"""The spatial index of a written GeoPackage, built by the newest GDAL at hand.

ogr2ogr (Debian's GDAL 3.6) writes the features with `-lco SPATIAL_INDEX=NO`; the R-tree is then made
by GDAL's own `CreateSpatialIndex`, the same SQL function ogr2ogr would call, run by the GDAL library
pyogrio ships (pyogrio is already a dependency, for exports and tests). GDAL 3.6 inserts the points into
the R-tree one by one, which takes longer than writing them; GDAL 3.7 and later pack the tree in memory
and write it at once, several times faster. The result is the standard `rtree_<table>_<column>` virtual
table with its triggers and its gpkg_extensions row, whichever GDAL builds it. Without pyogrio's library,
Debian's ogrinfo runs the same function.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from functools import cache
from pathlib import Path

OGRINFO = shutil.which("ogrinfo") or "/usr/bin/ogrinfo"
GDAL_OF_UPDATE = 0x01
GDAL_OF_VECTOR = 0x04


class SpatialIndexFailed(RuntimeError):
    pass


@cache
def _bundled_gdal() -> ctypes.CDLL | None:
    """pyogrio's GDAL (its wheel's pyogrio.libs/libgdal-*.so), with the few functions used here typed."""
    try:
        import pyogrio
    except ImportError:
        return None
    found = sorted((Path(pyogrio.__file__).parent.parent / "pyogrio.libs").glob("libgdal*.so*"))
    if not found:
        return None
    gdal = ctypes.CDLL(str(found[0]))
    gdal.GDALAllRegister()
    gdal.GDALOpenEx.restype = ctypes.c_void_p
    gdal.GDALOpenEx.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    gdal.GDALDatasetExecuteSQL.restype = ctypes.c_void_p
    gdal.GDALDatasetExecuteSQL.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_char_p]
    gdal.GDALDatasetReleaseResultSet.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    gdal.OGR_L_GetNextFeature.restype = ctypes.c_void_p
    gdal.OGR_L_GetNextFeature.argtypes = [ctypes.c_void_p]
    gdal.OGR_F_GetFieldAsInteger.argtypes = [ctypes.c_void_p, ctypes.c_int]
    gdal.OGR_F_Destroy.argtypes = [ctypes.c_void_p]
    gdal.GDALClose.argtypes = [ctypes.c_void_p]
    gdal.CPLGetLastErrorMsg.restype = ctypes.c_char_p
    return gdal


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def add_spatial_index(path: Path, table: str, column: str = "geom") -> None:
    """Create the R-tree of `table`.`column` in the GeoPackage at `path` (written without one)."""
    sql = f"SELECT CreateSpatialIndex({_quoted(table)}, {_quoted(column)})"
    gdal = _bundled_gdal()
    if gdal is None:
        done = subprocess.run([OGRINFO, "-q", str(path), "-sql", sql], capture_output=True, text=True)
        if done.returncode != 0 or "= 1" not in done.stdout:
            raise SpatialIndexFailed(f"CreateSpatialIndex failed: {done.stderr.strip() or done.stdout.strip()}")
        return
    dataset = gdal.GDALOpenEx(str(path).encode(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, None, None, None)
    if not dataset:
        raise SpatialIndexFailed(f"GDAL could not open {path}: {gdal.CPLGetLastErrorMsg().decode(errors='replace')}")
    created = 0
    try:
        result = gdal.GDALDatasetExecuteSQL(dataset, sql.encode(), None, None)
        if result:
            feature = gdal.OGR_L_GetNextFeature(result)
            if feature:
                created = gdal.OGR_F_GetFieldAsInteger(feature, 0)
                gdal.OGR_F_Destroy(feature)
            gdal.GDALDatasetReleaseResultSet(dataset, result)
        message = gdal.CPLGetLastErrorMsg().decode(errors="replace")
    finally:
        gdal.GDALClose(dataset)
    if created != 1:
        raise SpatialIndexFailed(f"CreateSpatialIndex failed on {path}: {message}")
