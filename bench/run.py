"""Measure zentail beside a bare Starlette endpoint, in the same run, with wrk.

    python bench/run.py [--database-url URL] [--tokens N] [--duration S] [--connections C]

Starts a bare Starlette app and ``zentail serve`` (2 uvicorn workers each), seeds an account,
an installed app, orders and N active tokens, then runs wrk (2 threads) against:

- the bare endpoint (no auth, no database): the reference;
- ``GET /v1/warehouses``: the smallest authenticated API read (token check, rate limit, one
  short query);
- ``GET /v1/salesOrder/{orderNumber}``: one order with its lines and packages;
- ``GET /v1/salesOrder?pageLength=25``: a page of 25 sales orders;
- ``POST /v1/token``: code exchanges, each with a fresh code.

Prints a Markdown table (requests/s, latency percentiles, ratio to the bare endpoint) and writes
it to bench/results/. Needs ``wrk`` (Debian package ``wrk``). Rate limits are raised so that the
limiter is exercised (with Redis when ``--redis-url`` answers) but never refuses.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import insert

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from zentail import crypto  # noqa: E402
from zentail.demo import seed  # noqa: E402
from zentail.domain import apps, installs  # noqa: E402
from zentail.domain.actors import Actor  # noqa: E402
from zentail.platform import Platform  # noqa: E402
from zentail.settings import Settings  # noqa: E402
from zentail.storage.migrate import upgrade  # noqa: E402
from zentail.storage.models import AccessToken, AuthorizationCode, utcnow  # noqa: E402

SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789abcdef"  # noqa: S105


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def parse_wrk(output: str) -> dict[str, str]:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result = {"rps": rps.group(1) if rps else "0"}
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", output, re.MULTILINE)
        result[f"p{pct}"] = match.group(1) if match else "?"
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["errors"] = non2xx.group(1) if non2xx else "0"
    return result


def wrk(
    url: str,
    args: argparse.Namespace,
    *options: str,
    script_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> dict[str, str]:
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency", *options]
    command += [url, "--", *script_args] if script_args else [url]
    output = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    return parse_wrk(output)


def seed_bench(platform: Platform, tokens: int, codes: int) -> tuple[str, int, str, list[str]]:
    """Demo data plus: one account token, ``tokens`` more active tokens, ``codes`` fresh codes."""
    summary = seed(platform, redirect_uri="https://partner.example/oauth_callback")
    assert summary is not None
    with platform.db.session(write=True) as session:
        app = apps.get_app(session, summary.client_id)
        result = installs.install(
            session,
            platform.keyring,
            app=app,
            account_id=summary.account_id,
            actor=Actor.system(),
            code_ttl=3600,
        )
        installation_id = result.installation.id
        raw_token = crypto.new_access_token()
        session.add(
            AccessToken(
                digest=platform.keyring.digest(raw_token),
                kind="account",
                account_id=summary.account_id,
                label="bench",
                scopes="salesOrder:read salesOrder:write warehouse:read",
            )
        )
    batch = 20_000
    for start in range(0, tokens, batch):
        with platform.db.session(write=True) as session:
            session.execute(
                insert(AccessToken),
                [
                    {
                        "digest": platform.keyring.digest(crypto.new_access_token()),
                        "kind": "account",
                        "account_id": summary.account_id,
                        "label": "filler",
                        "scopes": "salesOrder:read",
                        "created_at": utcnow(),
                    }
                    for _ in range(min(batch, tokens - start))
                ],
            )
    raw_codes = [crypto.new_authorization_code() for _ in range(codes)]
    expires = utcnow() + dt.timedelta(hours=1)
    with platform.db.session(write=True) as session:
        session.execute(
            insert(AuthorizationCode),
            [
                {
                    "digest": platform.keyring.digest(code),
                    "account_id": summary.account_id,
                    "app_id": app.id,
                    "installation_id": installation_id,
                    "redirect_uri": "https://partner.example/oauth_callback",
                    "scopes": "salesOrder:read",
                    "expires_at": expires,
                    "created_at": utcnow(),
                }
                for code in raw_codes
            ],
        )
    basic = base64.b64encode(f"{summary.client_id}:{summary.client_secret}".encode()).decode()
    return raw_token, 10_000_001, basic, raw_codes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--tokens", type=int, default=1_000)
    parser.add_argument("--codes", type=int, default=60_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=8710)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="zentail-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    env = {
        **os.environ,
        "ZENTAIL_DATABASE_URL": database_url,
        "ZENTAIL_SECRET_KEY": SECRET_KEY,
        "ZENTAIL_API_RATE_PER_SECOND": "1000000",
        "ZENTAIL_API_RATE_BURST": "1000000",
        "ZENTAIL_CLIENT_AUTH_MAX_FAILURES": "1000000",
        "ZENTAIL_REDIS_URL": args.redis_url,
        "ZENTAIL_REDIS_PREFIX": f"bench:{time.time()}:",
    }
    upgrade(database_url)
    platform = Platform(Settings(database_url=database_url, secret_key=SECRET_KEY))
    token, order_number, basic, codes = seed_bench(platform, args.tokens, args.codes)
    platform.close()
    codes_file = workdir / "codes.txt"
    codes_file.write_text("\n".join(codes) + "\n")

    python = sys.executable
    servers = [
        subprocess.Popen(
            [
                python,
                "-m",
                "uvicorn",
                "bench.bare_app:app",
                "--port",
                str(args.port + 1),
                "--workers",
                "2",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
        ),
        subprocess.Popen(
            [
                python,
                "-m",
                "zentail",
                "serve",
                "--port",
                str(args.port),
                "--workers",
                "2",
                "--no-migrate",
            ],
            env=env,
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_ready(f"http://127.0.0.1:{args.port + 1}/v1/bare")
        wait_ready(f"{base}/healthz")
        auth = ["-H", f"AUTHORIZATION: {token}"]
        rows = {
            "bare Starlette endpoint (reference)": wrk(
                f"http://127.0.0.1:{args.port + 1}/v1/bare", args
            ),
            "GET /v1/warehouses (smallest authenticated read)": wrk(
                f"{base}/v1/warehouses", args, *auth
            ),
            "GET /v1/salesOrder/{orderNumber} (authenticated read)": wrk(
                f"{base}/v1/salesOrder/{order_number}", args, *auth
            ),
            "GET /v1/salesOrder?pageLength=25 (page of 25)": wrk(
                f"{base}/v1/salesOrder?pageLength=25", args, *auth
            ),
            "POST /v1/token (code exchange)": wrk(
                base,
                args,
                "-s",
                str(HERE / "exchange.lua"),
                script_args=("2",),
                env={
                    **os.environ,
                    "CODES_FILE": str(codes_file),
                    "BASIC": basic,
                    "REDIRECT_URI": "https%3A%2F%2Fpartner.example%2Foauth_callback",
                },
            ),
        }
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    bare = float(rows["bare Starlette endpoint (reference)"]["rps"]) or 1.0
    backend = database_url.split(":", 1)[0]
    lines = [
        f"## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: {backend}, "
        f"{args.tokens:,} active tokens",
        "",
        f"`wrk -t2 -c{args.connections} -d{args.duration}s`, 2 uvicorn workers per server, "
        "on the same machine as wrk.",
        "",
        "| endpoint | requests/s | × bare | p50 | p90 | p99 | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in rows.items():
        ratio = float(result["rps"]) / bare
        lines.append(
            f"| {name} | {float(result['rps']):,.0f} | {ratio:.2f} | {result['p50']} | "
            f"{result['p90']} | {result['p99']} | {result['errors']} |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    with (results / "results.md").open("a") as out:
        out.write("\n" + report)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
