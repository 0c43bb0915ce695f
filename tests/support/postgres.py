"""A real PostgreSQL server for the tests, on 127.0.0.1 in a throw-away data folder.

Debian's server binaries (package ``postgresql``; .ci/run installs it) run as the
``postgres`` user when the tests run as root — PostgreSQL refuses root. Password
authentication is on, so the address carries a password as a hosted one would::

    with postgres_server() as url:      # postgresql://navigator:…@127.0.0.1:PORT/postgres
        store = PostgresStore(url)
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.browser import free_port

PASSWORD = "s3cret-pg-Pw"


def _binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is missing: apt-get install postgresql (.ci/run does)")
    return found[-1]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield its address (with the password); stop and remove it afterwards."""
    import psycopg

    root = Path(tempfile.mkdtemp(prefix="navigator-pg-"))
    data, log = root / "data", root / "server.log"
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chmod(root, 0o755)
        data.mkdir(mode=0o700)
        os.chown(data, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD)
    os.chmod(pwfile, 0o644)
    subprocess.run(
        [
            *as_user,
            _binary("initdb"),
            "-D",
            str(data),
            "-U",
            "navigator",
            "-A",
            "scram-sha-256",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*as_user, _binary("postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(data), "-F"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"postgresql://navigator:{PASSWORD}@127.0.0.1:{port}/postgres"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(url, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)
