"""
PostGIS in and out, for GIS teams that keep their layers in a database.

A database is named by a libpq URL, ``postgresql://HOST[:PORT]/DB`` (or
``postgresql:///?service=NAME`` for a service file entry) with geoplan's own
query parameters: ``schema`` (default ``public``) and, to read a layer,
``table`` or ``query`` (an SQL ``SELECT``). Credentials never travel in the
URL: the password comes from ``PGPASSWORD``, ``~/.pgpass`` or the service
file, as libpq reads them; a URL carrying one is refused, so it cannot reach
a shell history, a log or an output.

Writing (:func:`write_layers`) runs in one transaction: every layer's table
is created, filled by ``COPY`` (psycopg 3), indexed (GiST) and commented
(the same Chinese aliases as the GeoPackage), and its QGIS style stored in
``public.layer_styles`` (QGIS's own table), or nothing is. Identifiers are
always quoted through psycopg's SQL composition.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.errors import DataSourceError, ValidationError

logger = logging.getLogger(__name__)

#: How a URL to a PostGIS database starts.
SCHEMES = ("postgresql://", "postgres://")

IfExists = Literal["fail", "replace", "append"]

#: QGIS's table of layer styles (as QGIS itself creates it).
_LAYER_STYLES = """
CREATE TABLE IF NOT EXISTS public.layer_styles (
    id serial PRIMARY KEY,
    f_table_catalog varchar,
    f_table_schema varchar,
    f_table_name varchar,
    f_geometry_column varchar,
    stylename text,
    styleqml xml,
    stylesld xml,
    useasdefault boolean,
    description text,
    owner varchar(63) DEFAULT CURRENT_USER,
    ui xml,
    update_time timestamp DEFAULT CURRENT_TIMESTAMP,
    type varchar
)
"""


def is_postgis(source: object) -> bool:
    """
    Tell whether an input or output names a PostGIS database.

    Parameters
    ----------
    source
        A path or a URL.

    Returns
    -------
    bool
        True for ``postgresql://…`` and ``postgres://…``.
    """
    return str(source).startswith(SCHEMES)


@dataclass(frozen=True)
class Location:
    """A database, a schema and (to read) a table or a query."""

    conninfo: str  # the URL libpq reads, geoplan's parameters removed
    schema: str
    table: str | None
    query: str | None
    shown: str  # for messages: host, port, database, schema and table only


def parse(url: str) -> Location:
    """
    Read a PostGIS URL into its connection and geoplan's parameters.

    Parameters
    ----------
    url
        ``postgresql://HOST[:PORT]/DB?schema=S&table=T`` (or ``query=SQL``).

    Returns
    -------
    Location
        Where to connect, the schema and the table or query.

    Raises
    ------
    geoplan.errors.ValidationError
        For a URL carrying a password, or naming both a table and a query.
    """
    parts = urlsplit(url)
    if parts.password is not None:
        msg = (
            "the PostGIS URL carries a password: leave it out and give it in "
            "PGPASSWORD, ~/.pgpass or a service file (libpq reads them), so it "
            "never shows in a shell history, a log or an output."
        )
        raise ValidationError(msg)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    schema = params.pop("schema", "public") or "public"
    table = params.pop("table", None) or None
    query = params.pop("query", None) or None
    if table and query:
        msg = f"{_shown(parts, schema, None)}: give table= or query=, not both."
        raise ValidationError(msg)
    rest = urlencode(params)
    conninfo = f"{parts.scheme}://{parts.netloc}{parts.path}" + (
        f"?{rest}" if rest else ""
    )
    return Location(conninfo, schema, table, query, _shown(parts, schema, table))


def _shown(parts: object, schema: str, table: str | None) -> str:
    """Return the URL for messages: no user, no password, no options."""
    service = dict(parse_qsl(getattr(parts, "query", ""))).get("service")
    if service:
        where = f"postgresql:///?service={service}&schema={schema}"
    else:
        host = getattr(parts, "hostname", None) or "localhost"
        port = getattr(parts, "port", None)
        path = getattr(parts, "path", "")
        where = f"postgresql://{host}{f':{port}' if port else ''}{path}?schema={schema}"
    return where + (f"&table={table}" if table else "")


def _connect(location: Location) -> object:
    import psycopg

    try:
        return psycopg.connect(location.conninfo, connect_timeout=15)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "refused"
        msg = (
            f"{location.shown}: cannot connect ({reason}); check the host, port "
            "and database, and that PGPASSWORD, ~/.pgpass or the service file "
            "holds the password."
        )
        raise DataSourceError(msg) from None


def read_layer(url: str) -> pd.DataFrame:
    """
    Read a table or a query's rows from PostGIS into a GeoDataFrame.

    The geometry column and its SRID are read from the database; a layer in
    GCJ-02 is declared by the caller exactly as for files.

    Parameters
    ----------
    url
        As :func:`parse` reads it, with ``table=`` or ``query=``.

    Returns
    -------
    pandas.DataFrame
        The rows: a GeoDataFrame with the geometry in the layer's CRS
        (``EPSG:<srid>``), or a plain table without a geometry column.

    Raises
    ------
    geoplan.errors.ValidationError
        Without a table or query, without a geometry column, or with mixed
        or missing SRIDs.
    """
    from psycopg import sql

    location = parse(url)
    if location.table is None and location.query is None:
        msg = f"{location.shown}: name the layer with table=NAME or query=SELECT…."
        raise ValidationError(msg)
    select = (
        sql.SQL("SELECT * FROM {}.{}").format(
            sql.Identifier(location.schema), sql.Identifier(location.table)
        )
        if location.table is not None
        else sql.SQL("SELECT * FROM ({}) AS q").format(sql.SQL(location.query or ""))
    )
    with _connect(location) as con:  # type: ignore[attr-defined]
        oid = con.execute("SELECT to_regtype('geometry')::oid").fetchone()[0]
        try:
            cursor = con.execute(select)
        except Exception as exc:  # psycopg.Error: the database said why
            msg = f"{location.shown}: the database refused the layer: {exc}".strip()
            raise DataSourceError(msg) from None
        names = [d.name for d in cursor.description]
        kinds = [d.type_code for d in cursor.description]
        rows = cursor.fetchall()
        geometry = [n for n, k in zip(names, kinds, strict=True) if k == oid]
        declared = (
            con.execute(
                "SELECT srid FROM geometry_columns WHERE f_table_schema = %s "
                "AND f_table_name = %s AND f_geometry_column = %s",
                (location.schema, location.table, geometry[0]),
            ).fetchall()
            if len(geometry) == 1 and location.table is not None
            else []
        )
    frame = pd.DataFrame.from_records(rows, columns=names)
    if not geometry:  # a plain table
        return frame.apply(_numbers)
    if len(geometry) != 1:
        msg = (
            f"{location.shown}: the layer has {len(geometry)} geometry columns "
            f"({geometry}); select exactly one."
        )
        raise ValidationError(msg)
    column = geometry[0]
    shapes = shapely.from_wkb(frame[column].to_numpy(dtype=object))
    srids = set(shapely.get_srid(shapes[~shapely.is_missing(shapes)]).tolist())
    if not srids and declared:  # no rows: the column's declared SRID
        srids = {int(declared[0][0])}
    if len(srids) != 1 or 0 in srids:
        msg = (
            f"{location.shown}: the geometries' SRIDs are {sorted(srids)}; give "
            "the layer one SRID (ST_SetSRID) so its coordinates are known."
        )
        raise ValidationError(msg)
    return gpd.GeoDataFrame(
        frame.drop(columns=column).apply(_numbers),
        geometry=shapely.set_srid(shapes, 0),
        crs=f"EPSG:{srids.pop()}",
    )


def _numbers(values: pd.Series) -> pd.Series:
    """Return Decimals (PostgreSQL's numeric) as floats; anything else as read."""
    from decimal import Decimal

    if values.dtype != object:
        return values
    present = values.dropna()
    if len(present) and all(isinstance(v, Decimal) for v in present):
        return values.astype(float)
    return values


def _column_type(values: pd.Series) -> str:
    """Return the PostgreSQL type a column is written as (what COPY sends)."""
    return _field(values.iloc[:0])[0]


#: shapely's type ids -> PostGIS geometry types.
_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def _geometry_type(shapes: gpd.GeoSeries) -> str:
    kinds = np.unique(shapely.get_type_id(shapes.to_numpy()))
    kinds = kinds[kinds >= 0]  # -1: missing
    return _TYPE_NAMES.get(int(kinds[0]), "Geometry") if len(kinds) == 1 else "Geometry"


class _Field(NamedTuple):
    """One column in COPY's binary form: every row's bytes, laid end to end."""

    data: np.ndarray  # uint8, the non-NULL values one after another
    size: np.ndarray  # int64 per row: its byte count, -1 for NULL


def _fixed(values: np.ndarray, missing: np.ndarray) -> _Field:
    """Fixed-width big-endian values (int8, float8, bool, timestamp)."""
    width = values.dtype.itemsize
    data = np.ascontiguousarray(values[~missing]).view(np.uint8)
    return _Field(data, np.where(missing, -1, width).astype(np.int64))


def _ewkb(shapes: np.ndarray, srid: int) -> _Field:
    """
    Return geometries as EWKB with `srid`, PostGIS's binary form, all at once.

    From little-endian WKB: the SRID flag set in each type word and the SRID
    inserted after it.
    """
    missing = shapely.is_missing(shapes)
    if _plain_points(shapes, missing):  # the common case, built from coordinates
        return _point_ewkb(shapes, srid)
    sizes = np.full(len(shapes), -1, dtype=np.int64)
    if missing.all():  # no geometry at all (or no rows): every value NULL
        return _Field(np.empty(0, dtype=np.uint8), sizes)
    pieces = shapely.to_wkb(shapes[~missing], byte_order=1).tolist()
    size = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
    source = np.frombuffer(b"".join(pieces), dtype=np.uint8)
    start = np.cumsum(size) - size
    grown = size + 4
    at = np.cumsum(grown) - grown
    k = np.arange(grown.sum()) - np.repeat(at, grown)
    origin = np.repeat(start, grown) + np.where(k < 5, k, k - 4)
    ewkb = source[np.clip(origin, 0, len(source) - 1)]
    ewkb[at + 4] |= 0x20  # the type word's SRID flag (0x20000000, little-endian)
    ewkb[(at[:, None] + np.arange(5, 9)).ravel()] = np.tile(
        np.frombuffer(int(srid).to_bytes(4, "little"), dtype=np.uint8), len(at)
    )
    sizes[~missing] = grown
    return _Field(ewkb, sizes)


def _plain_points(shapes: np.ndarray, missing: np.ndarray) -> bool:
    """Tell whether every geometry is a non-empty 2D point."""
    return bool(
        len(shapes)
        and not missing.any()
        and (shapely.get_type_id(shapes) == 0).all()
        and not shapely.is_empty(shapes).any()
        and not shapely.has_z(shapes).any()
    )


#: EWKB of a 2D point: byte order, type word with the SRID flag, SRID, x, y.
_POINT = np.dtype([("order", "u1"), ("type", "<u4"), ("srid", "<i4"), ("xy", "<f8", 2)])


def _point_ewkb(shapes: np.ndarray, srid: int) -> _Field:
    """Return 2D points as EWKB built from their coordinates, 25 bytes each."""
    records = np.empty(len(shapes), dtype=_POINT)
    records["order"] = 1
    records["type"] = 0x20000001
    records["srid"] = srid
    records["xy"] = shapely.get_coordinates(shapes)
    sizes = np.full(len(shapes), _POINT.itemsize, dtype=np.int64)
    return _Field(records.view(np.uint8), sizes)


def _text_field(values: pd.Series) -> _Field:
    """Return strings as UTF-8 from Arrow's buffers (no per-row Python)."""
    import pyarrow as pa

    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed values: written as text
        array = None
    if array is None or not (
        pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
    ):
        array = pa.array(
            [None if pd.isna(v) else str(v) for v in values.astype(object).tolist()],
            type=pa.large_string(),
        )
    array = array.cast(pa.large_string())
    _, offsets, data = array.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[
        array.offset : array.offset + len(array) + 1
    ]
    size = np.diff(bounds)
    size[array.is_null().to_numpy(zero_copy_only=False)] = -1
    raw = (
        np.frombuffer(data, dtype=np.uint8)
        if data is not None
        else np.empty(0, np.uint8)
    )
    return _Field(raw[bounds[0] : bounds[-1]], size)


def _field(values: pd.Series) -> tuple[str, _Field]:
    """Return a column's PostgreSQL type and its binary COPY form."""
    kind = values.dtype.kind
    missing = values.isna().to_numpy()
    if kind in "iu":
        ints = values.fillna(0).to_numpy().astype(">i8")
        return "bigint", _fixed(ints, missing)
    if kind == "f":
        floats = values.to_numpy(dtype=float, na_value=np.nan)
        return "double precision", _fixed(floats.astype(">f8"), np.isnan(floats))
    if kind == "b":
        flags = values.fillna(False).to_numpy().astype(np.uint8)
        return "boolean", _fixed(flags, missing)
    if kind == "M":
        zone = getattr(values.dtype, "tz", None)
        moments = values.dt.tz_convert("UTC").dt.tz_localize(None) if zone else values
        since = (moments - pd.Timestamp("2000-01-01")).to_numpy("timedelta64[us]")
        micros = since.astype(np.int64).astype(">i8")
        kind_name = "timestamptz" if zone else "timestamp"
        return kind_name, _fixed(micros, missing)
    return "text", _text_field(values)


def _binary_rows(fields: list[_Field], n: int) -> bytes:
    """Lay out rows of COPY's binary stream with numpy (no header, no trailer)."""
    row = np.full(n, 2, dtype=np.int64)  # the field count
    for field in fields:
        row += 4 + np.maximum(field.size, 0)
    row_at = np.cumsum(row) - row
    out = np.empty(int(row.sum()), dtype=np.uint8)
    count = np.frombuffer(len(fields).to_bytes(2, "big"), dtype=np.uint8)
    out[(row_at[:, None] + np.arange(2)).ravel()] = np.tile(count, n)
    at = row_at + 2
    for field in fields:
        lengths = field.size.astype(">i4").view(np.uint8).reshape(n, 4)
        out[(at[:, None] + np.arange(4)).ravel()] = lengths.ravel()
        present = np.maximum(field.size, 0)
        if len(field.data):
            shift = np.repeat(at + 4 - (np.cumsum(present) - present), present)
            out[shift + np.arange(len(field.data))] = field.data
        at = at + 4 + present
    return out.tobytes()


def _row_slice(field: _Field, start: int, stop: int) -> _Field:
    """Rows start..stop of a field."""
    bytes_before = np.maximum(field.size[:start], 0).sum()
    size = field.size[start:stop]
    return _Field(
        field.data[bytes_before : bytes_before + np.maximum(size, 0).sum()], size
    )


#: Rows laid out and sent at a time: the server reads one part while the next
#: is built.
_ROWS_PER_PART = 50_000


def write_layers(
    url: str,
    layers: Mapping[str, pd.DataFrame],
    *,
    styles: Mapping[str, tuple[str, str]] | None = None,
    comments: Mapping[str, str] | None = None,
    if_exists: IfExists = "fail",
    provenance: Mapping[str, object] | None = None,
) -> list[str]:
    """
    Write layers to a PostGIS schema in one transaction.

    Parameters
    ----------
    url
        As :func:`parse` reads it; ``schema=`` picks the schema (made if
        missing).
    layers
        Table name -> GeoDataFrame (a geometry column with its SRID, a GiST
        index) or DataFrame (a plain table). Names are quoted as given. Every
        table gets its own ``fid`` key (a layer's ``fid`` column gives way,
        with a warning).
    styles
        Table name -> (QML, SLD), stored in ``public.layer_styles`` as the
        default style, so the layers open styled in QGIS.
    comments
        Column name -> comment (the Chinese alias), on every table with it.
    if_exists
        ``fail`` (default), ``replace`` (drop and write anew, in the same
        transaction) or ``append`` (add the rows; the columns must match).
    provenance
        What the layers were made from; the table comment.

    Returns
    -------
    list of str
        ``schema.table`` of each table written.

    Raises
    ------
    geoplan.errors.ValidationError
        For a table that exists under ``fail``, or columns that differ under
        ``append``. Nothing is written then.
    """
    from psycopg import sql

    location = parse(url)
    if if_exists not in ("fail", "replace", "append"):
        msg = f"--if-exists must be fail, replace or append, got {if_exists!r}."
        raise ValidationError(msg)
    schema = sql.Identifier(location.schema)
    written = []
    with _connect(location) as con, con.transaction():  # type: ignore[attr-defined]
        con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        if styles:
            con.execute(_LAYER_STYLES)
        for name, given in layers.items():
            frame = given
            if "fid" in frame.columns:  # e.g. a layer read back from PostGIS
                logger.warning(
                    "%s: its fid column is replaced by the table's own key", name
                )
                frame = frame.drop(columns="fid")
            table = sql.Identifier(location.schema, name)
            exists = con.execute(
                "SELECT to_regclass(%s) IS NOT NULL",
                (sql.Identifier(location.schema, name).as_string(con),),
            ).fetchone()[0]
            if exists and if_exists == "fail":
                msg = (
                    f"{location.shown}: table {location.schema}.{name} exists; "
                    "rerun with --if-exists replace (or append). Nothing was written."
                )
                raise ValidationError(msg)
            geometry = (
                frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
            )
            if exists and if_exists == "replace":
                con.execute(sql.SQL("DROP TABLE {}").format(table))
            fresh = not exists or if_exists == "replace"
            if fresh:
                _create(con, table, frame, geometry)
                first = 1
            else:
                _check_columns(con, location, name, frame)
                first = (
                    1
                    + con.execute(
                        sql.SQL("SELECT coalesce(max(fid), 0) FROM {}").format(table)
                    ).fetchone()[0]
                )
            _copy(con, table, frame, geometry, first)
            con.execute(  # the identity goes on after the rows written
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({}, 'fid'), "
                    "coalesce(max(fid), 0) + 1, false) FROM {}"
                ).format(sql.Literal(table.as_string(con)), table)
            )
            if fresh:  # built once over the rows: faster than row by row
                con.execute(
                    sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (fid)").format(table)
                )
            _annotate(con, table, name, frame, geometry, comments or {}, provenance)
            if styles and name in styles and geometry is not None:
                _store_style(con, location.schema, name, geometry, styles[name])
            written.append(f"{location.schema}.{name}")
    logger.info("Wrote %s: %s", location.shown, ", ".join(written))
    return written


def _create(
    con: object, table: object, frame: pd.DataFrame, geometry: str | None
) -> None:
    from psycopg import sql

    columns = [
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_column_type(frame[c])))
        for c in frame.columns
        if c != geometry
    ]
    if geometry is not None:
        srid = frame.crs.to_epsg() if frame.crs is not None else None
        if srid is None:
            msg = "a layer written to PostGIS needs an EPSG CRS (to_crs(4326))."
            raise ValidationError(msg)
        columns.append(
            sql.SQL("{} geometry({}, {})").format(
                sql.Identifier(geometry),
                sql.SQL(_geometry_type(frame.geometry)),
                sql.Literal(int(srid)),
            )
        )
    con.execute(  # type: ignore[attr-defined]
        sql.SQL(
            "CREATE TABLE {} (fid bigint GENERATED BY DEFAULT AS IDENTITY, {})"
        ).format(table, sql.SQL(", ").join(columns))
    )


def _check_columns(
    con: object, location: Location, name: str, frame: pd.DataFrame
) -> None:
    have = [
        row[0]
        for row in con.execute(  # type: ignore[attr-defined]
            "SELECT column_name FROM information_schema.columns WHERE "
            "table_schema = %s AND table_name = %s AND column_name <> 'fid' "
            "ORDER BY ordinal_position",
            (location.schema, name),
        ).fetchall()
    ]
    if sorted(have) != sorted(map(str, frame.columns)):
        msg = (
            f"{location.shown}: cannot append to {location.schema}.{name}: its "
            f"columns are {have}, the layer's {list(frame.columns)}; use "
            "--if-exists replace. Nothing was written."
        )
        raise ValidationError(msg)


def _copy(
    con: object, table: object, frame: pd.DataFrame, geometry: str | None, first: int
) -> None:
    """Fill the table by binary COPY: ``fid`` from `first`, geometry as EWKB."""
    from psycopg import sql

    n = len(frame)
    fids = np.arange(first, first + n).astype(">i8")
    named = [("fid", _fixed(fids, np.zeros(n, dtype=bool)))]
    for name in frame.columns:
        if name == geometry:
            srid = int(frame.crs.to_epsg())
            named.append((str(name), _ewkb(frame.geometry.to_numpy(), srid)))
        else:
            named.append((str(name), _field(frame[name])[1]))
    names = [name for name, _ in named]
    fields = [field for _, field in named]
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        table, sql.SQL(", ").join(sql.Identifier(n) for n in names)
    )
    with con.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        copy.write(b"PGCOPY\n\xff\r\n\x00" + bytes(8))
        for start in range(0, n, _ROWS_PER_PART):
            stop = min(start + _ROWS_PER_PART, n)
            part = [_row_slice(f, start, stop) for f in fields]
            copy.write(_binary_rows(part, stop - start))
        copy.write(b"\xff\xff")


def _annotate(
    con: object,
    table: object,
    name: str,
    frame: pd.DataFrame,
    geometry: str | None,
    comments: Mapping[str, str],
    provenance: Mapping[str, object] | None,
) -> None:
    from psycopg import sql

    execute = con.execute  # type: ignore[attr-defined]
    if geometry is not None:
        execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING GIST ({})").format(
                sql.Identifier(f"{name}_geom_idx"[:63]),
                table,
                sql.Identifier(geometry),
            )
        )
    for column in frame.columns:
        if column in comments:
            execute(
                sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                    table, sql.Identifier(column), sql.Literal(comments[column])
                )
            )
    if provenance:
        text = json.dumps(provenance, ensure_ascii=False, default=str)
        execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(table, sql.Literal(text)))


def _store_style(
    con: object, schema: str, name: str, geometry: str, style: tuple[str, str]
) -> None:
    qml, sld = style
    con.execute(  # type: ignore[attr-defined]
        "DELETE FROM public.layer_styles WHERE f_table_schema = %s AND "
        "f_table_name = %s AND f_geometry_column = %s",
        (schema, name, geometry),
    )
    con.execute(  # type: ignore[attr-defined]
        "INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, "
        "f_table_name, f_geometry_column, stylename, styleqml, stylesld, "
        "useasdefault, description, type) VALUES (current_database(), %s, %s, %s, "
        "%s, %s::xml, %s::xml, true, 'geoplan default style', %s)",
        (schema, name, geometry, name, qml, sld, _style_type(qml)),
    )


def _style_type(qml: str) -> str:
    """QGIS's layer type for the style row."""
    return "Point" if "marker" in qml else "Polygon" if "fill" in qml else "Line"
