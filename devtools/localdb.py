"""The embedded PostgreSQL 15 cluster used for development, tests and the default run.

It lives in a git-ignored folder of the project (``.local/pg`` unless ``MV_LOCAL_PGDATA``
says otherwise), listens on loopback only, on a port that does not clash with a server on
5432, and runs as an unprivileged user: PostgreSQL refuses to run as root, so when we are
root the server runs as the ``postgres`` system user.

Starting twice is harmless, and a stale ``postmaster.pid`` left by a crash is removed. The port
(``MV_LOCAL_PGPORT``) is given to the server at every start, so changing it moves the server; and
before the tooling uses a server it checks that the one answering on the port runs on this
cluster's data directory, so it never migrates or tests someone else's database.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from devtools.errors import ClusterError
from devtools.paths import PROJECT_ROOT

DEFAULT_PORT = 54329


def _others_can_traverse(path: Path) -> bool:
    """Whether an unrelated user can reach ``path``: every existing ancestor is o+x."""
    return all(p.stat().st_mode & stat.S_IXOTH for p in [path, *path.parents] if p.exists())


def find_bindir() -> Path:
    """PostgreSQL 15 binaries: the Debian path, ``pg_config --bindir``, or ``PATH``."""
    candidates = [Path("/usr/lib/postgresql/15/bin")]
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    raise ClusterError("PostgreSQL 15 binaries not found (tried /usr/lib/postgresql/15/bin, pg_config, PATH)")


@dataclass(frozen=True)
class LocalCluster:
    """A private cluster in ``datadir`` listening on ``127.0.0.1:port``."""

    root: Path
    port: int
    bindir: Path

    @classmethod
    def default(cls) -> LocalCluster:
        if "MV_LOCAL_PGDATA" in os.environ:
            root = Path(os.environ["MV_LOCAL_PGDATA"])
        else:
            root = PROJECT_ROOT / ".local" / "pg"
            if os.geteuid() == 0 and not _others_can_traverse(root.parent):
                # The server's user could not reach a checkout under, say, /root: keep the
                # cluster in a folder of this checkout's own under /var/tmp instead.
                tag = hashlib.sha1(str(PROJECT_ROOT).encode()).hexdigest()[:10]
                root = Path("/var/tmp") / f"music-videos-pg-{tag}"
        port = int(os.environ.get("MV_LOCAL_PGPORT", DEFAULT_PORT))
        return cls(root=root.resolve(), port=port, bindir=find_bindir())

    # -- paths ---------------------------------------------------------------------------------
    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def rundir(self) -> Path:
        return self.root / "run"

    @property
    def logfile(self) -> Path:
        return self.root / "postgres.log"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    # -- running as a non-root user ------------------------------------------------------------
    @property
    def _run_as(self) -> str | None:
        """The system user the server runs as when we are root (``MV_LOCAL_PGUSER``, else postgres)."""
        if os.geteuid() != 0:
            return None
        name = os.environ.get("MV_LOCAL_PGUSER", "postgres")
        try:
            pwd.getpwnam(name)
        except KeyError as exc:
            raise ClusterError(f"running as root needs a system user {name!r} to own the server") from exc
        return name

    def _run(self, args: list[str], *, check: bool = True, **kw) -> subprocess.CompletedProcess:
        user = self._run_as
        extra = {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []} if user else {}
        return subprocess.run(args, check=check, capture_output=True, text=True, cwd="/", **extra, **kw)

    def _prepare_dirs(self) -> None:
        for d in (self.root, self.rundir):
            d.mkdir(parents=True, exist_ok=True)
        user = self._run_as
        if user:
            pw = pwd.getpwnam(user)
            for d in (self.root, self.rundir):
                os.chown(d, pw.pw_uid, pw.pw_gid)
            if self.datadir.exists():
                os.chown(self.datadir, pw.pw_uid, pw.pw_gid)
            probe = self._run(["test", "-w", str(self.root)], check=False)
            if probe.returncode != 0:
                raise ClusterError(
                    f"user {user!r} cannot reach {self.root}; set MV_LOCAL_PGDATA to a folder it can "
                    "reach (for example under /var/tmp)")

    # -- lifecycle -----------------------------------------------------------------------------
    def initialized(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def init(self) -> None:
        if self.initialized():
            return
        self._prepare_dirs()
        self._run([str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres",
                   "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"])
        conf = self.datadir / "postgresql.conf"
        with conf.open("a") as fh:
            fh.write(
                "\n# music-videos embedded cluster\n"
                "listen_addresses = '127.0.0.1'\n"
                f"port = {self.port}\n"
                f"unix_socket_directories = '{self.rundir}'\n"
                "max_connections = 200\n"
                "wal_level = logical\n"
                "shared_buffers = 256MB\n"
                "log_min_messages = warning\n"
                "log_min_error_statement = panic\n"
                "timezone = 'UTC'\n"
            )

    @staticmethod
    def _is_postgres(pid: int) -> bool:
        """A live postgres process. A killed postmaster nobody reaped is a zombie: dead."""
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()  # "pid (comm) state ..."
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            state = stat[stat.rindex(")") + 2:].split()[0]
        except (ValueError, IndexError, OSError):
            return False
        return comm in ("postgres", "postmaster") and state not in ("Z", "X")

    def _pid_alive(self) -> bool:
        """Whether the postmaster named in postmaster.pid runs; removes the file when it does not."""
        pidfile = self.datadir / "postmaster.pid"
        if not pidfile.exists():
            return False
        try:
            pid = int(pidfile.read_text().splitlines()[0])
        except (ValueError, IndexError, OSError):
            pid = -1
        if pid > 0 and self._is_postgres(pid):
            return True
        # A crash left the pid file behind (or its pid now belongs to something else).
        pidfile.unlink(missing_ok=True)
        self._clear_stale_socket_locks()
        return False

    def _clear_stale_socket_locks(self) -> None:
        """Socket lock files naming a dead postmaster; PostgreSQL honours them while it is a zombie."""
        for lock in self.rundir.glob(".s.PGSQL.*.lock"):
            try:
                owner = int(lock.read_text().splitlines()[0])
            except (ValueError, IndexError, OSError):
                owner = -1
            if not self._is_postgres(owner):
                lock.unlink(missing_ok=True)
                Path(str(lock)[: -len(".lock")]).unlink(missing_ok=True)

    def _pid_port(self) -> int | None:
        """The port the running postmaster listens on (line 4 of postmaster.pid), when known."""
        try:
            return int((self.datadir / "postmaster.pid").read_text().splitlines()[3])
        except (ValueError, IndexError, OSError):
            return None

    def running(self) -> bool:
        """Our server runs, on our port, and accepts connections."""
        return self._pid_alive() and self._pid_port() == self.port and self.ready()

    def ready(self) -> bool:
        """Some server accepts connections on our port (whose it is: :meth:`verify`)."""
        out = subprocess.run([str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port),
                              "-U", "postgres", "-q"], check=False)
        return out.returncode == 0

    def verify(self) -> None:
        """Refuse unless the server answering on our port runs on this cluster's data directory."""
        ours = self.datadir.resolve()
        try:
            with psycopg.connect(self.url(), connect_timeout=10) as conn:
                theirs = conn.execute("show data_directory").fetchone()[0]
        except psycopg.Error as exc:
            raise ClusterError(
                f"the server on 127.0.0.1:{self.port} is not the embedded cluster of {ours} "
                f"(cannot check its data directory: {str(exc).strip()}); stop it or choose another "
                "MV_LOCAL_PGPORT") from exc
        if Path(theirs).resolve() != ours:
            raise ClusterError(
                f"the server on 127.0.0.1:{self.port} is not the embedded cluster of {ours}: its data "
                f"directory is {theirs}; stop it or choose another MV_LOCAL_PGPORT")

    def _refuse_a_stranger_on_our_port(self) -> None:
        """Our server is not on our port; if something else is, say whose it is."""
        if self.ready():
            self.verify()  # cannot pass: ours does not listen there
            raise ClusterError(f"another PostgreSQL server answers on 127.0.0.1:{self.port}")

    def start(self, timeout: float = 60.0) -> None:
        """Start the cluster (initialising it first) on ``self.port``, and check that it answers there.

        Harmless when it already runs; when it runs on another port (``MV_LOCAL_PGPORT`` changed)
        it is restarted on this one, unless another server holds that port.
        """
        if not self.initialized():
            self._refuse_a_stranger_on_our_port()  # before creating anything
            self.init()
        deadline = time.monotonic() + timeout
        while self._pid_alive():  # running, starting up, or still dying after a crash
            port = self._pid_port()
            if port is not None and port != self.port:
                self._refuse_a_stranger_on_our_port()
                self.stop()
                break
            if port == self.port and self.ready():
                self.verify()
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"PostgreSQL on port {self.port} runs but does not accept connections")
            time.sleep(0.1)
        self._refuse_a_stranger_on_our_port()
        self._prepare_dirs()
        for attempt in range(3):
            res = self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile),
                             "-o", f"-p {self.port}", "-w", "-t", str(int(timeout)), "start"], check=False)
            if res.returncode == 0:
                break
            # After a crash the old backends may hold the shared memory, and the dead
            # postmaster's socket lock may linger, for a moment.
            time.sleep(0.5 * (attempt + 1))
            self._pid_alive()
            self._clear_stale_socket_locks()
        else:
            tail = self.logfile.read_text()[-2000:] if self.logfile.exists() else ""
            raise ClusterError(f"could not start PostgreSQL: {res.stdout}{res.stderr}\n{tail}")
        self._wait_ready(timeout)
        self.verify()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready():
            if time.monotonic() > deadline:
                raise ClusterError(f"PostgreSQL on port {self.port} did not become ready")
            time.sleep(0.1)

    def stop(self, mode: str = "fast") -> None:
        if not self._pid_alive():
            return
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "stop"],
                  check=False)

    def kill9(self) -> None:
        """Crash the server (fault tests): SIGKILL the postmaster, leaving its pid file behind."""
        pid = int((self.datadir / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, 9)

    def status(self) -> dict:
        return {
            "datadir": str(self.datadir),
            "port": self.port,
            "initialized": self.initialized(),
            "running": self.running(),
            "listening_port": self._pid_port() if self._pid_alive() else None,
            "url": self.url(),
            "run_as": self._run_as or pwd.getpwuid(os.geteuid()).pw_name,
        }
