#!/usr/bin/env python3
"""Install (cached), start and stop a real Ghost 5 on loopback for the end-to-end tests.

    python3 scripts/e2e/ghost.py up      # install if not cached, start, create owner + key
    python3 scripts/e2e/ghost.py down    # stop Ghost and remove its state dir
    python3 scripts/e2e/ghost.py install # only fill the cache (CI warm-up step)

`up` writes `<state dir>/ghost.json` = {"admin_url", "admin_api_key"} and prints its path.
It is idempotent: a Ghost that is already running from the same state dir is reused.

Why this shape: `npm install ghost` fails on a `file:` dependency, so we do what ghost-cli
does — `npm pack`, drop devDependencies, `yarn install --production` with the bundled
lockfile. That takes minutes and ~600 MB, so the install lives in a cache dir outside the
clone and is reused when its marker file exists. Each run gets its own config, sqlite file
and content dir in the state dir, handed to Ghost as environment variables (nconf).

Environment: GHOST_CACHE_DIR (default /var/cache/publisher-e2e), GHOST_STATE_DIR (default
$TMPDIR/publisher-e2e-ghost), GHOST_PORT (default: a free port). Standard library only, so any
python3 can run it before the project's venv exists.
"""

from __future__ import annotations

import fcntl
import http.cookiejar
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

GHOST_VERSION = "5.130.6"
YARN_VERSION = "1.22.22"
CACHE_ROOT = Path(os.environ.get("GHOST_CACHE_DIR", "/var/cache/publisher-e2e"))
INSTALL_DIR = CACHE_ROOT / f"ghost-{GHOST_VERSION}"
MARKER = INSTALL_DIR / ".publisher-installed"
STATE_DIR = Path(os.environ.get("GHOST_STATE_DIR") or Path(tempfile.gettempdir()) / "publisher-e2e-ghost")
STATE_FILE = STATE_DIR / "ghost.json"
PID_FILE = STATE_DIR / "ghost.pid"
LOG_FILE = STATE_DIR / "ghost.log"
READY_TIMEOUT_S = 240
OWNER_EMAIL = "owner@example.com"


def log(message: str) -> None:
    print(f"[ghost-e2e] {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> None:
    log("$ " + " ".join(cmd))
    subprocess.run(cmd, cwd=cwd, env={**os.environ, **(env or {})}, check=True)


# --- install ------------------------------------------------------------------------------


def install() -> None:
    """Fill the cache once; a lock keeps two concurrent `up`s from installing twice."""
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with open(CACHE_ROOT / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if MARKER.exists():
            return
        started = time.monotonic()
        build = CACHE_ROOT / f"build-{GHOST_VERSION}"
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir()
        yarn = _install_yarn()
        run(["npm", "pack", "--silent", f"ghost@{GHOST_VERSION}"], cwd=build)
        with tarfile.open(build / f"ghost-{GHOST_VERSION}.tgz") as tgz:
            tgz.extractall(build, filter="data")
        package_dir = build / "package"
        manifest_path = package_dir / "package.json"
        manifest = json.loads(manifest_path.read_text())
        manifest.pop("devDependencies", None)  # some point at GitHub and are not needed
        manifest_path.write_text(json.dumps(manifest, indent=2))
        run(
            [str(yarn), "install", "--production", "--non-interactive", "--no-progress"],
            cwd=package_dir,
            env={
                "npm_config_nodedir": "/usr",  # sqlite3 builds against /usr/include/node
                "YARN_CACHE_FOLDER": str(CACHE_ROOT / "yarn-cache"),
                **gyp_python(),
            },
        )
        # sqlite3 is an optional dependency: yarn shrugs off a failed build, Ghost would not.
        run(["node", "-e", "require('sqlite3')"], cwd=package_dir)
        shutil.rmtree(INSTALL_DIR, ignore_errors=True)
        package_dir.rename(INSTALL_DIR)
        shutil.rmtree(build, ignore_errors=True)
        shutil.rmtree(CACHE_ROOT / "yarn-cache", ignore_errors=True)
        MARKER.write_text(f"ghost {GHOST_VERSION}\n")
        log(f"installed Ghost {GHOST_VERSION} in {time.monotonic() - started:.0f} s")


def gyp_python() -> dict[str, str]:
    """PYTHON for node-gyp: sqlite3's node-gyp 8 needs distutils, gone since Python 3.12.

    Only needed when sqlite3 has to compile (its prebuilt binary comes from GitHub).
    """
    candidates = [os.environ.get("NODE_GYP_PYTHON", ""), "/usr/bin/python3", "python3.11", "python3"]
    for path in filter(None, (shutil.which(c) for c in candidates if c)):
        has_distutils = subprocess.run([path, "-c", "import distutils"], capture_output=True, check=False)
        if has_distutils.returncode == 0:
            return {"PYTHON": path}  # node-gyp 8 reads PYTHON; yarn drops npm_config_python
    log("no Python with distutils found (set NODE_GYP_PYTHON); sqlite3 may fail to compile")
    return {}


def _install_yarn() -> Path:
    """Yarn 1 in the cache dir, not globally: the lockfile Ghost ships is a yarn 1 lockfile."""
    prefix = CACHE_ROOT / "yarn"
    yarn = prefix / "node_modules" / ".bin" / "yarn"
    if not yarn.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        run(["npm", "install", "--prefix", str(prefix), f"yarn@{YARN_VERSION}"], cwd=prefix)
    return yarn


# --- start / stop -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ghost_config(url: str, port: int) -> dict[str, str]:
    """Per-run config as nconf environment variables (`a__b` = a.b; values parsed as JSON).

    Ghost finds its package.json from the working directory, so it must run in the install
    dir; passing the config by environment keeps per-run state out of the shared cache.
    """
    content = STATE_DIR / "content"
    settings: dict[str, object] = {
        "url": url,
        "server__host": "127.0.0.1",
        "server__port": port,
        "database__client": "sqlite3",
        "database__connection__filename": str(content / "data" / "ghost-e2e.db"),
        "database__useNullAsDefault": True,
        "paths__contentPath": str(content),
        "mail__transport": "stub",
        "logging__level": "warn",
        "logging__transports": ["stdout"],
        "privacy__useTinfoil": True,
        "security__staffDeviceVerification": False,
    }
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in settings.items()}


def start(url: str, port: int) -> None:
    shutil.copytree(INSTALL_DIR / "content", STATE_DIR / "content")  # ships the casper theme
    with open(LOG_FILE, "ab") as log_file:
        process = subprocess.Popen(
            ["node", str(INSTALL_DIR / "index.js")],
            cwd=INSTALL_DIR,
            env={**os.environ, **ghost_config(url, port), "NODE_ENV": "development"},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: `down` stops all of it
        )
    PID_FILE.write_text(str(process.pid))
    wait_ready(url, process)


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    """The port opens before Ghost has migrated its database; /site/ = 200 means ready."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"Ghost exited with {process.returncode} before it was ready.")
        if site_ready(url):
            return
        time.sleep(0.5)
    raise SystemExit(f"Ghost was not ready after {READY_TIMEOUT_S} s.")


def site_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ghost/api/admin/site/", timeout=5) as response:  # noqa: S310
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def tail_log(lines: int = 40) -> str:
    if not LOG_FILE.exists():
        return ""
    return "\n".join(LOG_FILE.read_text(errors="replace").splitlines()[-lines:])


def running_pid() -> int | None:
    """The pid of the Ghost we started, if it still runs (a recycled pid is not ours)."""
    try:
        pid = int(PID_FILE.read_text())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ValueError):
        return None
    return pid if str(INSTALL_DIR / "index.js").encode() in command else None


def stop() -> None:
    """SIGTERM to Ghost's process group, SIGKILL after 10 s; then forget the state dir."""
    pid = running_pid()
    if pid is not None:
        os.killpg(pid, signal.SIGTERM)
        for _ in range(100):
            if running_pid() is None:  # a zombie's cmdline is empty, so this covers it too
                break
            time.sleep(0.1)
        else:
            os.killpg(pid, signal.SIGKILL)
    shutil.rmtree(STATE_DIR, ignore_errors=True)


# --- owner and admin key ------------------------------------------------------------------


class Admin:
    """Cookie-session calls to the Admin API, as Ghost Admin (the browser app) makes them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310
            f"{self.url}/ghost/api/admin/{path}",
            data=json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json", "Origin": self.url},
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                payload = response.read()
                is_json = response.headers.get_content_type() == "application/json"
        except urllib.error.HTTPError as error:
            raise SystemExit(f"{method} {path} → {error.code}: {error.read()[:500]!r}") from None
        return json.loads(payload) if is_json else {}  # session/ answers a plain "Created"


def create_admin_key(url: str) -> str:
    """Owner via setup, a cookie session, then a custom integration whose admin key we keep."""
    admin = Admin(url)
    password = secrets.token_urlsafe(18) + "-Gh0st!"  # a weak password is refused with 422
    admin.call(
        "POST",
        "authentication/setup/",
        {
            "setup": [
                {
                    "name": "E2E Owner",
                    "email": OWNER_EMAIL,
                    "password": password,
                    "blogTitle": "Publisher E2E",
                }
            ]
        },
    )
    admin.call("POST", "session/", {"username": OWNER_EMAIL, "password": password})
    created = admin.call(
        "POST", "integrations/?include=api_keys", {"integrations": [{"name": "Publisher e2e"}]}
    )
    keys = created["integrations"][0]["api_keys"]
    key = next(k for k in keys if k["type"] == "admin")
    secret = key["secret"]  # Ghost 5 serialises an admin key's secret as "<id>:<hex secret>"
    return secret if ":" in secret else f"{key['id']}:{secret}"


# --- verbs --------------------------------------------------------------------------------


def up() -> Path:
    install()
    if (
        running_pid() is not None
        and STATE_FILE.exists()
        and site_ready(json.loads(STATE_FILE.read_text())["admin_url"])
    ):
        log("reusing the running Ghost")
        return STATE_FILE
    stop()
    STATE_DIR.mkdir(parents=True)
    port = int(os.environ.get("GHOST_PORT") or free_port())
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        start(url, port)
        log(f"Ghost ready at {url} after {time.monotonic() - started:.0f} s")
        admin_api_key = create_admin_key(url)
    except BaseException:
        log(f"giving up; last lines of {LOG_FILE}:\n{tail_log()}")
        stop()
        raise
    STATE_FILE.write_text(json.dumps({"admin_url": url, "admin_api_key": admin_api_key}))
    STATE_FILE.chmod(0o600)
    return STATE_FILE


def main(argv: list[str]) -> int:
    verb = argv[1] if len(argv) > 1 else ""
    if verb == "install":
        install()
    elif verb == "up":
        print(up())
    elif verb == "down":
        stop()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
