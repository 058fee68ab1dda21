"""PostGIS in and out, against a real throwaway PostgreSQL + PostGIS server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from postgis_server import PASSWORD, postgis_server

from geoplan.io import postgis


@pytest.fixture(scope="module")
def pg():
    """The server; its password reaches libpq through PGPASSWORD only."""
    try:
        with postgis_server() as server:
            before = os.environ.get("PGPASSWORD")
            os.environ["PGPASSWORD"] = server.password
            try:
                yield server
            finally:
                if before is None:
                    os.environ.pop("PGPASSWORD", None)
                else:
                    os.environ["PGPASSWORD"] = before
    except RuntimeError as exc:  # a failure, not a skip: make test installs it
        pytest.fail(f"the PostGIS test server cannot start: {exc}")


def _sql(server, statement, *args):
    import psycopg

    with psycopg.connect(server.url) as con:
        return con.execute(statement, args or None).fetchall()


@pytest.fixture(scope="module")
def demo_gpkg(tmp_path_factory):
    from geoplan.cases.shangluo.demo import run_shangluo

    folder = tmp_path_factory.mktemp("demo")
    result = run_shangluo(
        layers_folder=folder, maps_folder=folder, write_map=False, gazetteer=None
    )
    return result.files["gpkg"]


def test_the_demo_layers_go_to_postgis_and_come_back_equal(
    pg, demo_gpkg, capsys, tmp_path
):
    from geoplan.cli import main

    url = f"{pg.url}?schema=planning"
    assert main(["export", str(demo_gpkg), "--to", url]) == 0
    printed = capsys.readouterr().out
    layers = [n for n, _ in pyogrio.list_layers(demo_gpkg) if n != "layer_styles"]
    for name in layers:
        assert f"planning.{name}" in printed
        ours = pyogrio.read_dataframe(demo_gpkg, layer=name)
        back = postgis.read_layer(f"{url}&table={name}").drop(columns="fid")
        assert list(back.columns) == list(ours.columns), name
        for column in ours.columns:
            if column == "geometry":
                assert back.crs.to_epsg() == 4326
                assert shapely.equals_exact(
                    back.geometry.to_numpy(), ours.geometry.to_numpy(), tolerance=0
                ).all()
                continue
            a, b = ours[column], back[column]
            assert a.dtype.kind == b.dtype.kind or (
                a.dtype.kind == "O" and b.isna().all()
            ), (name, column, a.dtype, b.dtype)
            pd.testing.assert_series_equal(
                a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False
            )
    styled = {
        row[0]
        for row in _sql(
            pg,
            "SELECT f_table_name FROM public.layer_styles WHERE f_table_schema = "
            "'planning' AND useasdefault AND styleqml IS NOT NULL",
        )
    }
    spatial = {n for n, kind in pyogrio.list_layers(demo_gpkg) if kind}
    assert spatial <= styled
    # the Chinese aliases travel as column comments, QGIS shows them
    comment = _sql(
        pg,
        "SELECT col_description('planning.relocation_sites'::regclass, "
        "(SELECT attnum FROM pg_attribute WHERE attrelid = "
        "'planning.relocation_sites'::regclass AND attname = 'precision'))",
    )[0][0]
    assert comment
    # a libpq service file names the database instead of a URL
    services = tmp_path / "pg_service.conf"
    services.write_text(
        f"[gis]\nhost={pg.host}\nport={pg.port}\ndbname={pg.database}\nuser={pg.user}\n"
    )
    os.environ["PGSERVICEFILE"] = str(services)
    try:
        by_service = postgis.read_layer(
            "postgresql:///?service=gis&schema=planning&table=relocation_sites"
        )
    finally:
        os.environ.pop("PGSERVICEFILE")
    assert len(by_service) == len(
        pyogrio.read_dataframe(demo_gpkg, layer="relocation_sites")
    )
    # a second run refuses to overwrite, naming the fix
    assert main(["export", str(demo_gpkg), "--to", url]) == 1
    assert "--if-exists replace" in capsys.readouterr().err
    assert main(["export", str(demo_gpkg), "--to", url, "--if-exists", "replace"]) == 0


def _points(n, seed=0):
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {"name": [f"p{i}" for i in range(n)], "households": rng.integers(1, 90, n)},
        geometry=gpd.points_from_xy(
            rng.uniform(109.8, 110.1, n), rng.uniform(33.8, 34.0, n)
        ),
        crs="EPSG:4326",
    )


def test_inputs_from_postgis_give_the_coverage_of_the_same_files(pg, tmp_path, capsys):
    from geoplan.cli import main

    demand, facilities = _points(300, seed=1), _points(12, seed=2)
    for name, frame in (("d", demand), ("f", facilities)):
        xy = frame.geometry.get_coordinates()
        frame.drop(columns="geometry").assign(lon=xy["x"], lat=xy["y"]).to_csv(
            tmp_path / f"{name}.csv", index=False
        )
    postgis.write_layers(
        f"{pg.url}?schema=inputs", {"demand": demand, "facilities": facilities}
    )
    common = ["--coords", "gcj02", "--radius-m", "3000", "--basemap", "none"]
    table_from = {}
    for how, d, f in (
        ("files", tmp_path / "d.csv", tmp_path / "f.csv"),
        ("postgis", f"{pg.url}?schema=inputs&table=demand",
         f"{pg.url}?schema=inputs&query=SELECT name, households, geometry FROM "
         "inputs.facilities"),
    ):  # fmt: skip
        out = tmp_path / f"{how}.gpkg"
        argv = ["coverage", "--demand", str(d), "--facilities", str(f), *common,
                "--weight-column", "households", "--out", str(out),
                "--map", str(tmp_path / f"{how}.html")]  # fmt: skip
        assert main(argv) == 0, capsys.readouterr().err
        table_from[how] = pd.read_csv(out.with_suffix(".csv"), encoding="utf-8-sig")
    # and an analysis file naming the same layers
    (tmp_path / "a.toml").write_text(
        f'[analysis]\njob = "coverage"\n[inputs.demand]\npath = "{pg.url}?schema='
        'inputs&table=demand"\ncoords = "gcj02"\n[inputs.facilities]\npath = '
        f'"{pg.url}?schema=inputs&table=facilities"\ncoords = "gcj02"\n'
        '[coverage]\nradius_m = 3000\nweight_column = "households"\n'
        f'[outputs]\nbasemap = "none"\npostgis = "{pg.url}?schema=results"\n',
        encoding="utf-8",
    )
    assert main(["run", str(tmp_path / "a.toml")]) == 0, capsys.readouterr().err
    assert "PostGIS: " in capsys.readouterr().out
    published = postgis.read_layer(f"{pg.url}?schema=results&table=a_demand")
    assert len(published) == len(demand)
    table_from["analysis"] = pd.read_csv(
        tmp_path / "layers" / "a.csv", encoding="utf-8-sig"
    )
    columns = ["name", "dist_to_nearest_m", "n_within_3000m", "coverage_status"]
    for how in ("postgis", "analysis"):
        pd.testing.assert_frame_equal(
            table_from["files"][columns], table_from[how][columns]
        )
    assert table_from["files"]["coverage_status"].nunique() > 1  # not all one way
    # siting reads the same layers the same way
    chosen = {}
    for how, d, c in (
        ("files", tmp_path / "d.csv", tmp_path / "f.csv"),
        ("postgis", f"{pg.url}?schema=inputs&table=demand",
         f"{pg.url}?schema=inputs&table=facilities"),
    ):  # fmt: skip
        out = tmp_path / f"r-{how}.gpkg"
        page = str(tmp_path / f"r-{how}.html")
        argv = ["recommend", "--demand", str(d), "--candidates", str(c), "--coords",
                "gcj02", "--radius-m", "3000", "--k", "3", "--basemap", "none",
                "--out", str(out), "--map", page]  # fmt: skip
        assert main(argv) == 0, capsys.readouterr().err
        chosen[how] = pyogrio.read_dataframe(out, layer="recommended")["name"].tolist()
    assert chosen["files"] == chosen["postgis"]
    assert len(chosen["files"]) == 3


def test_a_layer_name_is_a_name_not_sql(pg):
    hostile = 'x"; drop table y; --'
    postgis.write_layers(f"{pg.url}?schema=public", {"y": _points(3)})
    postgis.write_layers(f"{pg.url}?schema=public", {hostile: _points(5)})
    names = {row[0] for row in _sql(pg, "SELECT tablename FROM pg_tables")}
    assert {hostile, "y"} <= names
    back = postgis.read_layer(f"{pg.url}?schema=public&table={hostile}")
    assert len(back) == 5
    assert _sql(pg, "SELECT count(*) FROM public.y")[0][0] == 3
    # a layer read back (with its fid) goes in again under a key of its own
    postgis.write_layers(f"{pg.url}?schema=public", {"again": back})
    again = postgis.read_layer(f"{pg.url}?schema=public&table=again")
    assert again["fid"].tolist() == [1, 2, 3, 4, 5]
    assert again["name"].tolist() == back["name"].tolist()
    # an empty layer keeps its CRS; a plain table has no geometry
    postgis.write_layers(
        f"{pg.url}?schema=public",
        {"empty": _points(3).iloc[:0], "plain": pd.DataFrame({"n": [1, 2]})},
    )
    empty = postgis.read_layer(f"{pg.url}?schema=public&table=empty")
    assert len(empty) == 0
    assert empty.crs.to_epsg() == 4326
    plain = postgis.read_layer(f"{pg.url}?schema=public&table=plain")
    assert plain["n"].tolist() == [1, 2]
    assert not isinstance(plain, gpd.GeoDataFrame)


def test_credentials_never_reach_an_output(pg, demo_gpkg, tmp_path, capsys, caplog):
    from geoplan.cli import main

    url = f"{pg.url}?schema=secrets"
    with caplog.at_level("DEBUG"):
        assert main(["-v", "export", str(demo_gpkg), "--to", url]) == 0
        with_password = url.replace(f"{pg.user}@", f"{pg.user}:{PASSWORD}@")
        assert main(["export", str(demo_gpkg), "--to", with_password]) == 1
        os.environ["PGPASSWORD"] = "wrong-" + PASSWORD
        try:
            assert main(["export", str(demo_gpkg), "--to", url, "--if-exists",
                         "replace"]) == 1  # fmt: skip
        finally:
            os.environ["PGPASSWORD"] = PASSWORD
    printed = capsys.readouterr()
    assert "PGPASSWORD, ~/.pgpass or a service file" in printed.err
    everything = [printed.out, printed.err, caplog.text]
    everything += [
        str(row)
        for row in _sql(
            pg,
            "SELECT obj_description(c.oid), c.relname FROM pg_class c JOIN "
            "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'secrets'",
        )
    ]
    everything += [str(r) for r in _sql(pg, "SELECT * FROM public.layer_styles")]
    for text in everything:
        assert PASSWORD not in text


def test_a_writer_killed_mid_replace_leaves_the_old_tables(pg, tmp_path):
    from geoplan.io.export import write_geopackage

    url = f"{pg.url}?schema=atomic"
    old = _points(1000, seed=3)
    postgis.write_layers(url, {"sites": old})
    big = tmp_path / "big.gpkg"
    write_geopackage(big, {"sites": _points(400_000, seed=4).assign(extra=1.5)})
    geoplan = Path(sys.executable).with_name("geoplan")
    writer = subprocess.Popen(
        [geoplan, "export", str(big), "--to", url, "--if-exists", "replace"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and writer.poll() is None:
        copying = _sql(
            pg,
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%%' "
            "AND state = 'active'",
        )[0][0]
        if copying:
            break
        time.sleep(0.05)
    assert writer.poll() is None, "the writer finished before it could be killed"
    time.sleep(0.3)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    for _ in range(100):  # the server notices the lost connection and rolls back
        if not _sql(pg, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                        "'COPY%%' AND state <> 'idle'")[0][0]:  # fmt: skip
            break
        time.sleep(0.1)
    back = postgis.read_layer(f"{url}&table=sites")
    assert len(back) == 1000
    assert "extra" not in back.columns
    assert back["name"].tolist() == old["name"].tolist()
