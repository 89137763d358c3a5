"""p99 with few and with many active tokens, measured side by side in one run.

    python bench/flatness.py [--database-url URL] [--low 1000] [--high 1000000] [--rounds 7]

Seeds two databases alike but for their active tokens (``--low`` and ``--high``), starts a
``zentail serve`` (production settings, 2 workers, a Redis server each) on each, and measures
every endpoint of ``bench/run.py`` in rounds. In each round both servers are loaded with wrk,
one right after the other, the first of the two alternating between rounds, so that the
machine's drift (which moves a p99 by a quarter from one minute to the next on this machine)
falls on both alike. Reports, per endpoint, each server's median requests/s and p99, and the
median over the rounds of p99 with many tokens / p99 with few (the issue's bar: at most 1.2),
with every round's ratio. The reads are measured again with the cache of rendered bodies off
(``--no-uncached`` skips them), before the exchanges, which leave the two databases unlike.
Appends the table to ``bench/results/flatness.md``.

With ``--database-url postgresql://…/NAME`` the two databases are ``NAME_low`` and
``NAME_high`` on that server, dropped and created anew.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.run import (  # noqa: E402
    UNCACHED,
    UNCACHED_LABEL,
    bench_settings,
    exchanges,
    latency_ms,
    prepare,
    read_paths,
    start,
    start_redis,
    wait_ready,
    wrk,
)
from zentail.storage.database import normalize_url  # noqa: E402

Measure = Callable[[int], dict[str, str]]


@dataclass
class Side:
    """One of the two servers, on its seeded database: what :func:`bench.run.prepare`
    returned for it."""

    port: int
    env: dict[str, str]
    token: str
    order_number: int
    basic: str
    codes: list[str]
    server: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self, command: list[str], workdir: Path, *, cached: bool = True) -> None:
        self.stop()
        env = self.env if cached else {**self.env, UNCACHED: "0"}
        self.server = start([*command, "--port", str(self.port)], env, workdir)
        wait_ready(f"{self.base}/healthz")

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=10)
            self.server = None

    def reads(self, args: argparse.Namespace) -> dict[str, Measure]:
        """Each read of :func:`bench.run.read_paths` as a measure of one round."""
        auth = ("-H", f"AUTHORIZATION: {self.token}")

        def read(path: str) -> Measure:
            return lambda number: wrk(
                self.base + path, args, *auth, warm=number == 0, duration=args.round_duration
            )

        return {name: read(path) for name, path in read_paths(self.order_number).items()}


def databases(url: str | None, workdir: Path) -> tuple[str, str]:
    """The URLs of the two databases (see the module's docstring)."""
    if url is None:
        return f"sqlite:///{workdir / 'low.db'}", f"sqlite:///{workdir / 'high.db'}"
    base = make_url(normalize_url(url))
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    made = []
    with admin.connect() as connection:
        for suffix in ("low", "high"):
            name = f"{base.database}_{suffix}"
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            made.append(base.set(database=name).render_as_string(hide_password=False))
    admin.dispose()
    return made[0], made[1]


def side_by_side(
    low: Measure, high: Measure, args: argparse.Namespace
) -> dict[str, dict[str, object]]:
    """``args.rounds`` rounds of both measures, the first of the two alternating."""
    runs: dict[str, list[dict[str, str]]] = {"low": [], "high": []}
    for number in range(args.rounds):
        order = [("low", low), ("high", high)]
        for name, measure in order if number % 2 == 0 else reversed(order):
            runs[name].append(measure(number))
    ratios = [
        latency_ms(h["p99"]) / latency_ms(lo["p99"])
        for lo, h in zip(runs["low"], runs["high"], strict=True)
    ]
    summary: dict[str, dict[str, object]] = {
        name: {
            "rps": statistics.median(float(r["rps"]) for r in rounds),
            "p99": statistics.median(latency_ms(r["p99"]) for r in rounds),
            "errors": sum(int(r["errors"]) for r in rounds),
        }
        for name, rounds in runs.items()
    }
    summary["ratio"] = {"median": statistics.median(ratios), "rounds": ratios}
    return summary


def row(name: str, result: dict[str, dict[str, object]]) -> str:
    low, high, ratio = result["low"], result["high"], result["ratio"]
    rounds = ratio["rounds"]
    assert isinstance(rounds, list)
    return (
        f"| {name} | {low['rps']:,.0f} | {low['p99']:.2f} | {high['rps']:,.0f} | "
        f"{high['p99']:.2f} | {int(str(low['errors'])) + int(str(high['errors']))} | "
        f"**{ratio['median']:.2f}** | {' / '.join(f'{r:.2f}' for r in rounds)} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url")
    parser.add_argument("--low", type=int, default=1_000)
    parser.add_argument("--high", type=int, default=1_000_000)
    parser.add_argument("--installations", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--round-duration", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=8730)
    parser.add_argument("--uncached", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    args.codes = 4_000 * args.rounds * args.round_duration
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="zentail-flatness-"))
    urls = databases(args.database_url, workdir)
    redis_servers = []
    sides = []
    for number, (tokens, url) in enumerate(((args.low, urls[0]), (args.high, urls[1]))):
        redis_server, redis_url = start_redis(args.port + 5 + number)
        redis_servers.append(redis_server)
        settings, env = bench_settings(url, redis_url)
        sides.append(Side(args.port + number, env, *prepare(settings, tokens, args)))
    low, high = sides
    command = [sys.executable, "-m", "zentail", "serve", "--workers", "2", "--no-migrate"]
    results: dict[str, dict[str, dict[str, object]]] = {}
    try:
        for side in sides:
            side.serve(command, workdir)
        low_reads, high_reads = low.reads(args), high.reads(args)
        for name, measure in low_reads.items():
            results[name] = side_by_side(measure, high_reads[name], args)
        if args.uncached:
            # Before the exchanges, which leave the two databases unlike (a replaced token per
            # exchange, and their dead rows).
            for side in sides:
                side.serve(command, workdir, cached=False)
            for name, measure in low_reads.items():
                results[f"{name} {UNCACHED_LABEL}"] = side_by_side(measure, high_reads[name], args)
            for side in sides:
                side.serve(command, workdir)
        low_codes, high_codes = workdir / "low-codes", workdir / "high-codes"
        low_codes.mkdir()
        high_codes.mkdir()
        results["POST /v1/token"] = side_by_side(
            exchanges(low.base, low.codes, low_codes, low.basic, args),
            exchanges(high.base, high.codes, high_codes, high.basic, args),
            args,
        )
    finally:
        for side in sides:
            side.stop()
        for redis_server in redis_servers:
            redis_server.terminate()
    backend = "sqlite" if urls[0].startswith("sqlite") else "postgresql"
    lines = [
        f"## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: {backend}, {args.low:,} and "
        f"{args.high:,} active tokens side by side",
        "",
        f"`wrk -t2 -c{args.connections}`, 2 uvicorn workers per server, on the same machine as "
        f"wrk; {args.rounds} rounds of {args.round_duration} s, both servers loaded in each, "
        "the first of the two alternating. Requests/s and p99 (ms): medians over the rounds; "
        "the ratio is the median of the rounds' p99 ratios.",
        "",
        f"| endpoint | {args.low:,}: requests/s | p99 | {args.high:,}: requests/s | p99 "
        "| non-2xx | p99 ratio | p99 ratio, each round |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        *(row(name, result) for name, result in results.items()),
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    with (HERE / "results" / "flatness.md").open("a") as out:
        out.write("\n" + report)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
