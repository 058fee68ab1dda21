"""GeoPackage write time for 600,000 points: geoplan against pyogrio and fiona.

geoplan's `write_geopackage` (atomic write, aliases, provenance, fsync) against
pyogrio's `write_dataframe(..., use_arrow=True)` straight to a GeoPackage (the
fastest route an expert takes), and fiona writing the same records one by one.
All three files are read back and compared before the times are reported.

Run: .venv/bin/pip install '.[bench]'; .venv/bin/python benchmarks/bench_export.py [N]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import fiona
import geopandas as gpd
import numpy as np
import pyogrio
from _common import best_of, save
from shapely.geometry import mapping

from geoplan.io import export


def main(n: int = 600_000) -> None:
    rng = np.random.default_rng(3)
    frame = gpd.GeoDataFrame(
        {
            "code": [f"61100211{i % 1000:04d}" for i in range(n)],
            "name": np.array(["北宽坪镇全脉村", "色河铺镇敬老院", "天竺佳苑"])[
                rng.integers(0, 3, n)
            ],
            "dist_to_nearest_m": rng.uniform(0, 5000, n),
            "n_within_1000m": rng.integers(0, 5, n),
        },
        geometry=gpd.points_from_xy(
            rng.uniform(108.5, 111, n), rng.uniform(33, 34.5, n)
        ),
        crs="EPSG:4326",
    )
    folder = Path(tempfile.mkdtemp())

    def ours():
        return export.write_geopackage(
            folder / "geoplan.gpkg", {"points": frame}, provenance={"benchmark": n}
        )

    def direct():
        path = folder / "pyogrio.gpkg"
        path.unlink(missing_ok=True)
        pyogrio.write_dataframe(
            frame, path, layer="points", driver="GPKG", use_arrow=True
        )
        return path

    def with_fiona():
        path = folder / "fiona.gpkg"
        path.unlink(missing_ok=True)
        schema = {
            "geometry": "Point",
            "properties": {
                "code": "str",
                "name": "str",
                "dist_to_nearest_m": "float",
                "n_within_1000m": "int",
            },
        }
        columns = list(schema["properties"])
        with fiona.open(
            path, "w", driver="GPKG", layer="points", schema=schema, crs="EPSG:4326"
        ) as sink:
            sink.writerecords(
                {
                    "geometry": mapping(g),
                    "properties": dict(zip(columns, row, strict=True)),
                }
                for g, row in zip(
                    frame.geometry, frame[columns].itertuples(index=False), strict=True
                )
            )
        return path

    t_ours, p_ours = best_of(ours, repeat=3)
    t_direct, p_direct = best_of(direct, repeat=3)
    t_fiona, p_fiona = best_of(with_fiona, repeat=1)
    backs = [
        pyogrio.read_dataframe(p, layer="points") for p in (p_ours, p_direct, p_fiona)
    ]
    for back in backs:
        assert len(back) == n
        assert back["name"].tolist()[:100] == frame["name"].tolist()[:100]
        np.testing.assert_allclose(back.geometry.x, frame.geometry.x, atol=1e-9)
    save(
        "export",
        {
            "workload": f"{n} points, 4 fields, to GeoPackage",
            "same_answer": True,
            "geoplan_s": round(t_ours, 2),
            "pyogrio_arrow_s": round(t_direct, 2),
            "fiona_s": round(t_fiona, 2),
            "ratio_geoplan_over_pyogrio_arrow": round(t_ours / t_direct, 2),
            "speedup_vs_fiona": round(t_fiona / t_ours, 1),
            "target": "<= 1.3x pyogrio with Arrow; >= 5x faster than fiona",
        },
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 600_000)
