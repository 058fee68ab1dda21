"""Package-wide defaults; an explicit function argument always wins.

Attributes
----------
layers_folder : pathlib.Path
    Where generated GeoPackages and tables are written. Default ``layers``
    (relative to the working directory).
maps_folder : pathlib.Path
    Where generated HTML maps are written. Default ``maps``.
cache_folder : pathlib.Path
    Where built street networks, geocoder answers, the built-in gazetteer's
    table (``builtin-units-<digest>.parquet``) and the matcher's names as
    arrays (``names-<digest>.npz``, read by long lists) are cached. Default
    ``GEOPLAN_CACHE`` when set (e.g. a folder every Dask worker shares), else
    ``~/.cache/geoplan``.
gazetteer_path : pathlib.Path
    The gazetteer store that `geoplan gazetteer import` builds. Default
    ``~/.cache/geoplan/gazetteer.gpkg``; the built-in gazetteer is used
    when it does not exist.
lang : str
    Language of printed tables: ``"zh"``, ``"en"`` or ``"both"`` (default).
default_crs : str
    The CRS every stored layer uses. Default ``"EPSG:4326"`` (WGS-84);
    CGCS2000 (``EPSG:4490``) is treated as equal to it but declared.
show_progress : bool
    Whether commands report their stages on stderr while long work runs.
    Default ``True``; ``geoplan --quiet`` turns it off.
territory : str
    Where table coordinates may lie: ``"china"`` (default: a point outside
    China's territory is kept with reason ``outside_china``, usually a typo or
    swapped columns) or ``"world"`` (any WGS-84 point is used, for studies
    outside China; GCJ-02 and BD-09 points must still lie in China).
    ``geoplan --territory world`` sets it.
"""

import os
from pathlib import Path

layers_folder: Path = Path("layers")
maps_folder: Path = Path("maps")
default_crs: str = "EPSG:4326"
lang: str = "both"
cache_folder: Path = Path(
    os.environ.get("GEOPLAN_CACHE") or Path.home() / ".cache/geoplan"
)
gazetteer_path: Path = cache_folder / "gazetteer.gpkg"
show_progress: bool = True
territory: str = "china"
