"""The run's last words: which parts of the suite ran, how many tests each, and why any were
skipped — so a green run on a machine without PostgreSQL or Chromium cannot pass for a full one.

Each test is tagged at collection (on the xdist worker that runs it) with the parts it belongs
to; the tags travel with its reports to the controller, which counts them.

- ``sqlite`` / ``postgresql``: the backend of the ``database_url`` fixture it runs on;
- ``no database``: it needs neither (unit tests, documentation checks, the SDK against canned
  answers);
- ``browser``: marked ``browser`` (Chromium through Playwright);
- ``server``: marked ``server`` or using ``live_server`` (a real server process);
- ``serial``: marked ``serial`` (owns the machine; the ``serial`` xdist group, one at a time).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest

PARTS = ("sqlite", "postgresql", "no database", "browser", "server", "serial")
PROPERTY = "suite_parts"
SERIAL_GROUP = "serial"


def parts_of(item: pytest.Item) -> list[str]:
    """The parts of the suite ``item`` belongs to (see the module docstring)."""
    callspec = getattr(item, "callspec", None)
    backend = callspec.params.get("database_url") if callspec else None
    parts = [str(backend)] if backend else ["no database"]
    if item.get_closest_marker("browser"):
        parts.append("browser")
    uses_live_server = "live_server" in getattr(item, "fixturenames", ())
    if item.get_closest_marker("server") or uses_live_server:
        parts.append("server")
    if item.get_closest_marker("serial"):
        parts.append("serial")
    return parts


def pytest_itemcollected(item: pytest.Item) -> None:
    """Tag every test with its parts, and put every ``serial`` test in one xdist group, so
    that ``--dist loadgroup`` runs them all on one worker, one after another. (Done as each
    item is collected: xdist reads the group marks in ``pytest_collection_modifyitems``.)"""
    item.user_properties.append((PROPERTY, ",".join(parts_of(item))))
    if item.get_closest_marker("serial"):
        if any(True for _ in item.iter_markers("xdist_group")):
            # xdist would join the names into a group of their own, beside "serial".
            raise pytest.UsageError(f"{item.nodeid}: a serial test joins no other group")
        item.add_marker(pytest.mark.xdist_group(SERIAL_GROUP))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give ``--dist loadgroup`` its ``nodeid@group`` suffix where xdist could not.

    xdist marks a grouped test by assigning ``item._nodeid``; since pytest 9.2 the node id
    lives in ``item._id``, so that assignment is lost and groups are silently spread over
    workers. This sets the same suffix through ``_id`` when it is missing.
    """
    if not config.getoption("loadgroup", False):
        return
    for item in items:
        groups = sorted({str(mark.args[0]) for mark in item.iter_markers("xdist_group")})
        if groups and "@" not in item.nodeid and hasattr(item, "_id"):
            node_id = type(item._id)  # _pytest.nodeid.NodeId
            item._id = node_id.parse(f"{item.nodeid}@{'_'.join(groups)}")


@dataclass
class Tally:
    """Outcomes per part, and skip reasons with their counts."""

    outcomes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    skip_reasons: Counter[str] = field(default_factory=Counter)

    def record(self, report: pytest.TestReport) -> None:
        outcome = _final_outcome(report)
        if outcome is None:
            return
        for part in _parts_of_report(report):
            self.outcomes[part][outcome] += 1
        if outcome == "skipped":
            self.skip_reasons[_skip_reason(report)] += 1


def _final_outcome(report: pytest.TestReport) -> str | None:
    """One outcome per test: its call's, or its setup's when setup failed or skipped."""
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            return "xfailed" if report.skipped else "xpassed"
        return report.outcome
    if report.when == "setup" and not report.passed:
        return "skipped" if report.skipped else "error"
    if report.when == "teardown" and report.failed:
        return "error"
    return None


def _parts_of_report(report: pytest.TestReport) -> list[str]:
    for name, value in report.user_properties:
        if name == PROPERTY:
            return str(value).split(",")
    return ["no database"]


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


class SuiteSummary:
    """Counts every test's outcome per part and prints the ``parts of the suite`` section."""

    def __init__(self) -> None:
        self.tally = Tally()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """In-process without xdist; on the controller, for every worker's reports."""
        self.tally.record(report)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        write = terminalreporter.write_line
        terminalreporter.section("parts of the suite")
        config = terminalreporter.config
        workers = config.getoption("numprocesses", None)
        if workers:
            dist = config.getoption("dist", "no")
            write(f"{workers} xdist workers (--dist {dist}); serial tests run one at a time")
        else:
            write("one process (no xdist)")
        for part in PARTS:
            counts = self.tally.outcomes.get(part, Counter())
            total = sum(counts.values())
            ran = total - counts["skipped"]
            detail = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()) if n)
            write(f"  {part:<12} {ran:>4} ran of {total:>4}" + (f"  ({detail})" if detail else ""))
        if self.tally.skip_reasons:
            write("skipped, and why:")
            for reason, count in self.tally.skip_reasons.most_common():
                write(f"  {count:>4} × {reason}")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(SuiteSummary(), "zentail-suite-summary")
