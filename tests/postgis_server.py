"""A throwaway PostgreSQL + PostGIS server, started by the tests that need one.

``initdb`` in a temporary folder, a free port on 127.0.0.1, password
authentication (scram), the PostGIS extension in a fresh database; stopped
and removed at the end. As root the server runs as the ``postgres`` user
(PostgreSQL refuses root). When it cannot start the tests fail and say why:
`make test` installs the Debian packages (``.ci/system-deps.sh test``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

USER, PASSWORD, DATABASE = "planner", "s3cret-Pw_7731", "geoplan"


@dataclass(frozen=True)
class Server:
    """A running server: where it listens and who may log in."""

    host: str
    port: int
    user: str
    password: str
    database: str

    @property
    def url(self) -> str:
        """A URL without the password (it comes from the environment)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"


def _binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        msg = (
            "PostgreSQL is not installed: run `.ci/system-deps.sh test` (Debian "
            "packages postgresql and postgresql-postgis)"
        )
        raise RuntimeError(msg)
    if not list(Path("/usr/share/postgresql").glob("*/extension/postgis.control")):
        msg = "PostGIS is not installed: run `.ci/system-deps.sh test`"
        raise RuntimeError(msg)
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(command: list[str], *, as_postgres: bool) -> None:
    if as_postgres:
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        msg = f"{' '.join(command)} failed: {done.stderr.strip() or done.stdout}"
        raise RuntimeError(msg)


@contextmanager
def postgis_server() -> Iterator[Server]:
    """Start a server with a PostGIS database; stop and remove it afterwards."""
    bindir = _binaries()
    as_postgres = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="geoplan-pg-"))
    data = folder / "data"
    password_file = folder / "pw"
    password_file.write_text(PASSWORD + "\n")
    if as_postgres:
        shutil.chown(folder, "postgres")
        shutil.chown(password_file, "postgres")
    port = _free_port()
    try:
        _run(
            [str(bindir / "initdb"), "-D", str(data), "-U", USER, "-A",
             "scram-sha-256", f"--pwfile={password_file}", "-E", "UTF8",
             "--locale=C.UTF-8"],
            as_postgres=as_postgres,
        )  # fmt: skip
        _run(
            [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"),
             "-w", "-t", "60", "-o",
             f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off",
             "start"],
            as_postgres=as_postgres,
        )  # fmt: skip
        server = Server("127.0.0.1", port, USER, PASSWORD, DATABASE)
        _create_database(server)
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            _run(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                as_postgres=as_postgres,
            )
        shutil.rmtree(folder, ignore_errors=True)


def _create_database(server: Server) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            admin = psycopg.connect(
                host=server.host, port=server.port, user=server.user,
                password=server.password, dbname="postgres", autocommit=True,
            )  # fmt: skip
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    with admin:
        admin.execute(f"CREATE DATABASE {server.database}")
    with psycopg.connect(
        host=server.host, port=server.port, user=server.user,
        password=server.password, dbname=server.database, autocommit=True,
    ) as db:  # fmt: skip
        db.execute("CREATE EXTENSION postgis")
