"""docs/partner-quickstart.md, run word for word against a freshly seeded sandbox.

The page's fenced blocks are its commands: ``sh`` blocks run in order in one bash session
(variables carry over), ``sh server`` blocks are long-running servers, ``python`` blocks are
the example script as printed. The only change made here is the sandbox's port (a free one
instead of 8000, with its own database), so that the test never meets a developer's server.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support import free_port, running_process

pytestmark = pytest.mark.server
REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "docs" / "partner-quickstart.md"
SDK_SCRIPT = REPO / "examples" / "sdk_quickstart.py"
SANDBOX = "http://127.0.0.1:8000"
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(kind: str) -> list[str]:
    return [code for info, code in FENCE.findall(QUICKSTART.read_text()) if info == kind]


def test_the_quickstart_names_its_servers_and_prints_the_example_script_as_it_is() -> None:
    assert blocks("sh server") == ["scripts/demo\n", ".venv/bin/python -m examples.partner_app\n"]
    assert blocks("python") == [SDK_SCRIPT.read_text()]


def test_the_quickstart_commands_work_word_for_word(tmp_path: Path) -> None:
    port = free_port()
    sandbox = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("ZENTAIL_")}
    env |= {"ZENTAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'zentail.db'}", "CI": "1"}
    server = ["bash", "-c", f"{blocks('sh server')[0].strip()} --port {port}"]
    script = "set -euo pipefail\n" + "".join(blocks("sh")).replace(SANDBOX, sandbox)
    log_path = tmp_path / "demo.log"
    # scripts/demo runs scripts/bootstrap first, which may (re)install the environment.
    with running_process(server, env, log_path, f"{sandbox}/healthz", cwd=REPO, start_timeout=600):
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=REPO,
            env=env | {"PARTNER_PLATFORM_URL": sandbox},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    assert re.search(
        r"^http://127\.0\.0\.1:8001/oauth_callback\?client_id=6779ef20e75817b79602&code=",
        output,
        re.MULTILINE,
    )
    assert re.search(r'^\{"access_token":"[^"]+","token_type":"bearer"\}$', output, re.MULTILINE)
    # Step 4's page of pending orders, then (right after it: curl prints no final newline)
    # step 5's lines, one per pending order over all pages, in the same order.
    first_page, end = json.JSONDecoder().raw_decode(output, output.index('{"results":'))
    listed = [str(order["orderNumber"]) for order in first_page["results"]]
    assert listed
    assert {order["status"] for order in first_page["results"]} == {"PENDING"}
    printed = re.findall(r"^(\d+) DEMO-1-\d{4} \S+Z$", output[end:], re.MULTILINE)
    assert printed[: len(listed)] == listed
    assert len(set(printed)) == len(printed)
    if first_page["pagination"]["hasNext"]:
        assert first_page["pagination"]["nextToken"].startswith(f"{sandbox}/v1/salesOrder?")
        assert len(printed) > len(listed)
