"""Measure zentail beside a bare Starlette endpoint, in the same run, with wrk.

    python bench/run.py [--database-url URL] [--tokens N] [--duration S] [--connections C]

Starts a bare Starlette app and ``zentail serve`` (2 uvicorn workers each), seeds an account,
an installed app, orders and N active tokens, then runs wrk (2 threads) against:

- the bare endpoint (no auth, no database): the reference;
- ``GET /v1/warehouses``: the smallest authenticated API read (token check, rate limit, one
  short query);
- ``GET /v1/salesOrder/{orderNumber}``: one order with its lines and packages;
- ``GET /v1/salesOrder?pageLength=25``: a page of 25 sales orders;
- ``POST /v1/token``: code exchanges, each with a fresh code;
- the three reads again on a server with the cache of rendered bodies off
  (``ZENTAIL_RESPONSE_CACHE_BYTES=0``): what a poll costs when the data changed since the last
  (``--no-uncached`` skips them).

Each read and the exchanges run in ``--rounds`` rounds, each right after a run of each
reference; every figure reported (requests/s, ratios, latency percentiles) is the median of the
rounds', and each round's ratio and p99 are listed.

Prints a Markdown table (requests/s, latency percentiles, ratio to the bare endpoint) and writes
it to bench/results/. Needs ``wrk`` (Debian package ``wrk``). Rate limits are raised so that the
limiter is exercised (in a Redis server of the bench's own) but never refuses. Also records the
largest worker's RSS, and SQL statements and Redis commands per warm request and per exchange.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import functools
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
from sqlalchemy import insert

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.support import settings_env  # noqa: E402

from zentail import crypto  # noqa: E402
from zentail.app import create_app  # noqa: E402
from zentail.crypto import Keyring  # noqa: E402
from zentail.demo import seed  # noqa: E402
from zentail.domain import apps  # noqa: E402
from zentail.platform import Platform  # noqa: E402
from zentail.settings import Settings  # noqa: E402
from zentail.storage.migrate import upgrade  # noqa: E402
from zentail.storage.models import (  # noqa: E402
    AccessToken,
    Account,
    AuthorizationCode,
    Installation,
    utcnow,
)

UNCACHED = "ZENTAIL_RESPONSE_CACHE_BYTES"
UNCACHED_LABEL = "(bodies not cached)"
CONCURRENCY = 32  # exchanges at once when counting statements as under load (as wrk -c32)
CONCURRENT_EXCHANGES = f"POST /v1/token, {CONCURRENCY} at once (counted in-process)"
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789abcdef"  # noqa: S105
REDIRECT_URI = "https://partner.example/oauth_callback"


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
    warm: bool = True,
    duration: int | None = None,
) -> dict[str, str]:
    """Load ``url`` for ``args.warmup`` seconds unmeasured (caches and pages warm, as in a
    server that has been up; not for exchanges, whose codes each work once), then for
    ``args.duration`` seconds measured."""
    target = [url, "--", *script_args] if script_args else [url]
    base = ["wrk", "-t2", f"-c{args.connections}", "--latency", *options]
    if warm and args.warmup > 0:
        subprocess.run(
            [*base, f"-d{args.warmup}s", *target], capture_output=True, env=env, check=True
        )
    command = [*base, f"-d{duration or args.duration}s", *target]
    output = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    return parse_wrk(output)


def latency_ms(value: str) -> float:
    """A wrk latency (``850.00us``, ``4.38ms``, ``1.02s``) in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        return float("nan")
    scale = {"us": 0.001, "ms": 1.0, "s": 1_000.0, "m": 60_000.0}[match.group(2)]
    return float(match.group(1)) * scale


def in_rounds(
    measure: Callable[[int], dict[str, str]],
    references: dict[str, tuple[str, tuple[str, ...]]],
    args: argparse.Namespace,
) -> dict[str, object]:
    """Run ``measure(round)`` ``args.rounds`` times, each right after each reference (name →
    url, options), so that every ratio compares runs seconds apart: on this machine a
    reference moves more between runs than a ratio does. Every figure is the median over the
    rounds, taken figure by figure: requests/s, each latency percentile and each reference's
    ratio (``x <name>``); every round's ratio (``x <name> rounds``) and p99 (``p99 rounds``)
    are listed too. One slow round (the machine's other work, a collection) moves a p99 by a
    quarter; the median of several does not."""
    rounds = []
    for number in range(args.rounds):
        run = {"warm": number == 0, "duration": args.round_duration}
        measured = {
            name: wrk(ref, args, *ref_options, **run)
            for name, (ref, ref_options) in references.items()
        }
        result: dict[str, object] = dict(measure(number))
        for name, reference in measured.items():
            result[f"x {name}"] = float(str(result["rps"])) / (float(reference["rps"]) or 1.0)
        rounds.append(result)
    summary: dict[str, object] = {
        "rps": statistics.median(float(str(r["rps"])) for r in rounds),
        "errors": sum(int(str(r["errors"])) for r in rounds),
        "p99 rounds": [latency_ms(str(r["p99"])) for r in rounds],
    }
    for pct in ("p50", "p90", "p99"):
        summary[pct] = f"{statistics.median(latency_ms(str(r[pct])) for r in rounds):.2f}ms"
    for name in references:
        ratios = [float(str(r[f"x {name}"])) for r in rounds]
        summary[f"x {name}"] = statistics.median(ratios)
        summary[f"x {name} rounds"] = ratios
    return summary


def exchanges(
    base: str, codes: Sequence[str], workdir: Path, basic: str, args: argparse.Namespace
) -> Callable[[int], dict[str, str]]:
    """A round of ``POST /v1/token`` with wrk: round n spends the n-th of ``args.rounds``
    equal slices of ``codes`` (a code works once), never warmed up."""
    size = len(codes) // args.rounds
    env = {
        **os.environ,
        "BASIC": basic,
        "REDIRECT_URI": "https%3A%2F%2Fpartner.example%2Foauth_callback",
    }

    def measure(number: int) -> dict[str, str]:
        codes_file = workdir / f"codes-{number}.txt"
        codes_file.write_text("\n".join(codes[number * size : (number + 1) * size]) + "\n")
        return wrk(
            base,
            args,
            "-s",
            str(HERE / "exchange.lua"),
            script_args=("2",),
            warm=False,
            duration=args.round_duration,
            env={**env, "CODES_FILE": str(codes_file)},
        )

    return measure


def seed_bench(
    platform: Platform, tokens: int, codes: int, installations: int
) -> tuple[str, int, str, list[str]]:
    """Demo data plus: one account token, ``tokens`` more active tokens, and ``codes`` fresh
    codes spread over ``installations`` installations (one account each)."""
    summary = seed(platform, redirect_uri=REDIRECT_URI)
    assert summary is not None
    with platform.db.session(write=True) as session:
        app = apps.get_app(session, summary.client_id)
        app_id = app.id
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
    now = utcnow()
    with platform.db.session(write=True) as session:
        account_ids = list(
            session.scalars(
                insert(Account).returning(Account.id),
                [
                    {"name": f"Bench seller {n}", "last_order_number": 0, "created_at": now}
                    for n in range(installations)
                ],
            )
        )
        installation_ids = list(
            session.scalars(
                insert(Installation).returning(Installation.id),
                [
                    {
                        "app_id": app_id,
                        "account_id": account_id,
                        "scopes": "salesOrder:read",
                        "installed_at": now,
                    }
                    for account_id in account_ids
                ],
            )
        )
    raw_codes = [crypto.new_authorization_code() for _ in range(codes)]
    expires = now + dt.timedelta(hours=1)
    with platform.db.session(write=True) as session:
        session.execute(
            insert(AuthorizationCode),
            [
                {
                    "digest": platform.keyring.digest(code),
                    "account_id": account_ids[n % installations],
                    "app_id": app_id,
                    "installation_id": installation_ids[n % installations],
                    "redirect_uri": REDIRECT_URI,
                    "scopes": "salesOrder:read",
                    "expires_at": expires,
                    "created_at": now,
                }
                for n, code in enumerate(raw_codes)
            ],
        )
    basic = base64.b64encode(f"{summary.client_id}:{summary.client_secret}".encode()).decode()
    return raw_token, 10_000_001, basic, raw_codes


def settle(database_url: str) -> None:
    """Leave the machine as a server that has been up would have it, not as seeding did: the
    WAL checkpointed into the SQLite file and every dirty page written back, so that the
    kernel's writeback of a large seed (a million tokens is ~300 MB) does not run during the
    measurements."""
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.sync()


def start_redis(port: int) -> tuple[subprocess.Popen[bytes], str]:
    """A Redis server of the bench's own, keeping nothing on disk, and its URL."""
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    return server, f"redis://127.0.0.1:{port}/0"


def bench_settings(database_url: str, redis_url: str) -> tuple[Settings, dict[str, str]]:
    """zentail's production settings on ``database_url``, with rate limits raised so that the
    limiter is exercised but never refuses; and the environment of a ``zentail serve`` with
    them."""
    settings = Settings(
        env="production",
        database_url=database_url,
        secret_key=SECRET_KEY,
        issuer="https://zentail.bench.example",
        redis_url=redis_url,
        redis_prefix="bench:",
        api_rate_per_second=1_000_000,
        api_rate_burst=1_000_000,
        client_auth_max_failures=1_000_000,
    )
    env = {
        **os.environ,
        **settings_env(settings),
        "ZENTAIL_ENV": "production",
        "ZENTAIL_ISSUER": settings.issuer,
        "ZENTAIL_API_RATE_PER_SECOND": "1000000",
        "ZENTAIL_API_RATE_BURST": "1000000",
        "ZENTAIL_CLIENT_AUTH_MAX_FAILURES": "1000000",
    }
    return settings, env


def prepare(
    settings: Settings, tokens: int, args: argparse.Namespace
) -> tuple[str, int, str, list[str]]:
    """Migrate, seed (:func:`seed_bench`, ``args.codes`` codes over ``args.installations``)
    and settle the database of ``settings``."""
    upgrade(settings.database_url)
    platform = Platform(settings)
    seeded = seed_bench(platform, tokens, args.codes, args.installations)
    platform.close()
    settle(settings.database_url)
    return seeded


def start(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def worker_rss_mb(parent: subprocess.Popen[bytes]) -> float:
    """The largest resident set among the server's worker processes, in MB."""
    children = subprocess.run(
        ["pgrep", "-P", str(parent.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        if match:
            sizes.append(int(match.group(1)) / 1024)
    return max(sizes, default=0.0)


def read_paths(order_number: int) -> dict[str, str]:
    """The measured reads: each one's name in the tables, and its path."""
    return {
        "GET /v1/warehouses": "/v1/warehouses",
        "GET /v1/salesOrder/{orderNumber}": f"/v1/salesOrder/{order_number}",
        "GET /v1/salesOrder?pageLength=25": "/v1/salesOrder?pageLength=25",
    }


async def count_per_request(
    settings: Settings,
    token: str,
    order_number: int,
    basic: str,
    codes: list[str],
    concurrent_codes: Sequence[str] = (),
) -> dict[str, tuple[float, float]]:
    """SQL statements and Redis round trips (as the gateway and the limiter send them) per
    request, warm, in this process through the ASGI app. Exchanges are counted one at a time
    (``codes``), and, as under load, ``CONCURRENCY`` at a time (``concurrent_codes``), when
    the SQLite writer commits the redemptions queued together as one batch."""
    app = create_app(settings)
    platform: Platform = app.state.platform
    counter = platform.gateway.counter
    transport = httpx.ASGITransport(app=app)
    results: dict[str, tuple[float, float]] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for name, path in read_paths(order_number).items():
            await client.get(path, headers={"AUTHORIZATION": token})  # warm
            sql, red = counter.count, platform.limiter.round_trips
            for _ in range(50):
                await client.get(path, headers={"AUTHORIZATION": token})
            results[name] = ((counter.count - sql) / 50, (platform.limiter.round_trips - red) / 50)

        async def exchange(code: str) -> None:
            response = await client.post(
                "/v1/token",
                headers={"Authorization": f"Basic {basic}"},
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT_URI,
                },
            )
            response.raise_for_status()

        sql, red = counter.count, platform.limiter.round_trips
        for code in codes:
            await exchange(code)
        if n := len(codes):
            results["POST /v1/token"] = (
                (counter.count - sql) / n,
                (platform.limiter.round_trips - red) / n,
            )
        sql, red = counter.count, platform.limiter.round_trips
        for start in range(0, len(concurrent_codes), CONCURRENCY):
            await asyncio.gather(*map(exchange, concurrent_codes[start : start + CONCURRENCY]))
        if n := len(concurrent_codes):
            results[CONCURRENT_EXCHANGES] = (
                (counter.count - sql) / n,
                (platform.limiter.round_trips - red) / n,
            )
    await platform.aclose()
    platform.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url")
    parser.add_argument("--tokens", type=int, default=1_000)
    parser.add_argument(
        "--codes",
        type=int,
        help="Fresh codes to seed (default: 4,000/s for every round of exchanges, and the 520 "
        "the statements are counted with).",
    )
    parser.add_argument("--installations", type=int, default=1_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="Rounds per read and for the exchanges, each right after the references (each "
        "figure reported is the median of the rounds').",
    )
    parser.add_argument(
        "--round-duration", type=int, default=5, help="Seconds of each round's runs."
    )
    parser.add_argument(
        "--warmup", type=int, default=2, help="Seconds of unmeasured load before each run."
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=8710)
    parser.add_argument(
        "--reads",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Measure the reads (--no-reads: the references and exchanges only).",
    )
    parser.add_argument(
        "--uncached",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Also measure the reads with the cache of rendered bodies off.",
    )
    args = parser.parse_args()
    if args.codes is None:
        args.codes = 4_000 * args.rounds * args.round_duration + 520
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="zentail-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    is_sqlite = database_url.startswith("sqlite")
    redis_server, redis_url = start_redis(args.port + 5)
    settings, env = bench_settings(database_url, redis_url)
    token, order_number, basic, codes = prepare(settings, args.tokens, args)
    counting_codes, concurrent_codes, codes = codes[-200:], codes[-520:-200], codes[:-520]

    python = sys.executable
    lookup_env = {**os.environ, "BENCH_DIGEST_KEY": Keyring(SECRET_KEY).digest_key.hex()}
    if is_sqlite:
        lookup_env["BENCH_SQLITE_PATH"] = database_url.removeprefix("sqlite:///")
        lookup_path = "/v1/sqlite-lookup"
    else:
        lookup_env["BENCH_PG_DSN"] = database_url.replace("+psycopg", "")
        lookup_path = "/v1/pg-lookup"
    zentail = [python, "-m", "zentail", "serve", "--port", str(args.port), "--workers", "2"]
    zentail.append("--no-migrate")
    uvicorn = [python, "-m", "uvicorn", "--workers", "2", "--log-level", "warning"]
    servers = [
        start(
            [*uvicorn, "bench.bare_app:app", "--port", str(args.port + 1), "--no-access-log"],
            dict(os.environ),
            ROOT,
        ),
        start(
            [*uvicorn, "bench.lookup_app:app", "--port", str(args.port + 2), "--no-access-log"],
            lookup_env,
            ROOT,
        ),
        start(zentail, env, workdir),
    ]
    base = f"http://127.0.0.1:{args.port}"
    lookup_url = f"http://127.0.0.1:{args.port + 2}{lookup_path}"
    try:
        wait_ready(f"http://127.0.0.1:{args.port + 1}/v1/bare")
        wait_ready(lookup_url)
        wait_ready(f"{base}/healthz")
        auth = ["-H", f"AUTHORIZATION: {token}"]
        read_urls = {name: base + path for name, path in read_paths(order_number).items()}
        bare_url = f"http://127.0.0.1:{args.port + 1}/v1/bare"
        references = {"bare": (bare_url, ()), "lookup": (lookup_url, tuple(auth))}

        def read(url: str, number: int) -> dict[str, str]:
            return wrk(url, args, *auth, warm=number == 0, duration=args.round_duration)

        rows: dict[str, dict[str, object]] = {
            "bare Starlette endpoint (reference)": dict(wrk(bare_url, args)),
            f"{lookup_path}: HMAC + one indexed SELECT (reference)": dict(
                wrk(lookup_url, args, *auth)
            ),
            **{
                name: in_rounds(functools.partial(read, url), references, args)
                for name, url in read_urls.items()
                if args.reads
            },
            "POST /v1/token": in_rounds(
                exchanges(base, codes, workdir, basic, args), references, args
            ),
        }
        rss = worker_rss_mb(servers[2])
        if args.uncached and args.reads:
            # The same reads when no body can be reused (data changing between polls): a
            # server with the cache of bodies off.
            servers[2].terminate()
            servers[2].wait(timeout=10)
            servers[2] = start(zentail, {**env, UNCACHED: "0"}, workdir)
            wait_ready(f"{base}/healthz")
            for name, url in read_urls.items():
                rows[f"{name} {UNCACHED_LABEL}"] = in_rounds(
                    functools.partial(read, url), references, args
                )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    counts = asyncio.run(
        count_per_request(settings, token, order_number, basic, counting_codes, concurrent_codes)
    )
    if args.uncached and args.reads:
        off = settings.model_copy(update={"response_cache_bytes": 0})
        uncached = asyncio.run(count_per_request(off, token, order_number, basic, []))
        counts.update({f"{name} {UNCACHED_LABEL}": value for name, value in uncached.items()})
    redis_server.terminate()
    bare = float(str(rows["bare Starlette endpoint (reference)"]["rps"])) or 1.0
    lookup = float(str(next(r for name, r in rows.items() if "lookup" in name)["rps"])) or 1.0
    backend = "sqlite" if is_sqlite else "postgresql"
    lines = [
        f"## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: {backend}, "
        f"{args.tokens:,} active tokens, codes over {args.installations:,} installations",
        "",
        f"`wrk -t2 -c{args.connections}`, 2 uvicorn workers per server, on the same machine "
        "as wrk; zentail with `ZENTAIL_ENV=production`, Redis and the access log as shipped. "
        f"References: one {args.duration}-second run. Reads and exchanges: {args.rounds} "
        f"rounds of {args.round_duration} s, each right after a run of each reference; each "
        "figure of a row is the median of the rounds' (ratios and p99 of every round listed). "
        f"Largest zentail worker after the load: {rss:.0f} MB RSS.",
        "",
        "| endpoint | requests/s | × bare | × lookup | p50 | p90 | p99 | non-2xx "
        "| SQL/req | Redis round trips/req | × bare, each round | p99 (ms), each round |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, result in rows.items():
        rps = float(str(result["rps"]))
        sql, red = counts.get(name, (float("nan"), float("nan")))
        counted = f"{sql:.2f} | {red:.2f}" if name in counts else "— | —"
        x_bare = float(str(result.get("x bare", rps / bare)))
        x_lookup = float(str(result.get("x lookup", rps / lookup)))
        each = result.get("x bare rounds")
        listed = " / ".join(f"{r:.2f}" for r in each) if isinstance(each, list) else "—"
        tails = result.get("p99 rounds")
        p99s = " / ".join(f"{r:.2f}" for r in tails) if isinstance(tails, list) else "—"
        lines.append(
            f"| {name} | {rps:,.0f} | {x_bare:.2f} | {x_lookup:.2f} | {result['p50']} | "
            f"{result['p90']} | {result['p99']} | {result['errors']} | {counted} | {listed} "
            f"| {p99s} |"
        )
    if CONCURRENT_EXCHANGES in counts:  # counted only: a row of its own, nothing timed
        sql, red = counts[CONCURRENT_EXCHANGES]
        untimed = " | ".join(["—"] * 7)
        lines.append(f"| {CONCURRENT_EXCHANGES} | {untimed} | {sql:.2f} | {red:.2f} | — | — |")
    report = "\n".join(lines) + "\n"
    print(report)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    with (results / "results.md").open("a") as out:
        out.write("\n" + report)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
