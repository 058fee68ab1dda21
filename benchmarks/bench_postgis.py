"""600,000 points written to PostGIS: geoplan (COPY) against GeoDataFrame.to_postgis.

A throwaway PostgreSQL + PostGIS server is started for the run (the tests'
helper, `tests/postgis_server.py`). Both write the same points with three
attribute columns into their own table; each table is read back and compared
with the input (values and geometry) before the times count.

Run: .venv/bin/python benchmarks/bench_postgis.py [n_points]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from _common import save

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from postgis_server import postgis_server

from geoplan.io import postgis


def _points(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(0)
    return gpd.GeoDataFrame(
        {
            "name": [f"site {i}" for i in range(n)],
            "households": rng.integers(1, 500, n),
            "share": rng.random(n),
        },
        geometry=gpd.points_from_xy(rng.uniform(73, 135, n), rng.uniform(18, 53, n)),
        crs="EPSG:4326",
    )


def _same(back: pd.DataFrame, frame: gpd.GeoDataFrame) -> None:
    back = back.sort_values("name").reset_index(drop=True)
    frame = frame.sort_values("name").reset_index(drop=True)
    assert len(back) == len(frame)
    for column in ("name", "households", "share"):
        assert (back[column].to_numpy() == frame[column].to_numpy()).all(), column
    assert shapely.equals_exact(
        back.geometry.to_numpy(), frame.geometry.to_numpy(), tolerance=0
    ).all()


def main(n: int = 600_000) -> None:
    from sqlalchemy import create_engine

    frame = _points(n)
    with postgis_server() as server:
        os.environ["PGPASSWORD"] = server.password
        url = f"{server.url}?schema=bench"
        engine = create_engine(
            f"postgresql+psycopg://{server.user}@{server.host}:{server.port}/"
            f"{server.database}"
        )

        start = time.perf_counter()
        postgis.write_layers(url, {"ours": frame})
        t_ours = time.perf_counter() - start
        _same(postgis.read_layer(f"{url}&table=ours"), frame)

        start = time.perf_counter()
        frame.to_postgis("peer", engine, schema="bench", index=False)
        t_peer = time.perf_counter() - start
        peer = postgis.read_layer(f"{url}&table=peer")
        _same(peer.rename_geometry("geometry") if "geom" in peer else peer, frame)
        engine.dispose()
    save(
        "postgis",
        {
            "workload": f"{n} points, 3 attribute columns, to a local PostGIS",
            "same_answer": True,
            "geoplan_write_layers_s": round(t_ours, 2),
            "geopandas_to_postgis_s": round(t_peer, 2),
            "speedup": round(t_peer / t_ours, 1),
            "target": ">= 3x faster than GeoDataFrame.to_postgis",
        },
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 600_000)
