"""docs/partner-quickstart.md, run word for word against a freshly seeded sandbox.

The page's fenced blocks are its commands: ``sh`` blocks run in order in one bash session
(variables carry over), ``sh server`` blocks are long-running servers, ``python`` blocks are
the example script as printed, and the ``sh first-hour`` block is the whole way from
``git clone`` to a first API call: at most three commands, the last of which
(``scripts/sandbox``) is run here and its printed clicks followed. The only change made here
is the sandbox's port (a free one instead of 8000, with its own database), so that the test
never meets a developer's server.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support import free_port, running_process
from tests.web.pages import CSRF_FIELD
from zentail import demo

pytestmark = pytest.mark.server
REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "docs" / "partner-quickstart.md"
SDK_SCRIPT = REPO / "examples" / "sdk_quickstart.py"
SANDBOX = "http://127.0.0.1:8000"
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(kind: str) -> list[str]:
    return [code for info, code in FENCE.findall(QUICKSTART.read_text()) if info == kind]


MAX_FIRST_HOUR_COMMANDS = 3


def commands(block: str) -> list[str]:
    """The shell commands of a block: non-blank, non-comment lines, continuations joined."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line.strip() for line in joined.splitlines() if line.strip()[:1] not in ("", "#")]


def test_from_git_clone_to_a_first_api_call_takes_at_most_three_commands() -> None:
    (block,) = blocks("sh first-hour")
    first_hour = commands(block)
    assert len(first_hour) <= MAX_FIRST_HOUR_COMMANDS, first_hour
    assert first_hour[0].startswith("git clone ")
    assert first_hour[-1] == "scripts/sandbox"


def test_the_quickstart_says_a_new_exchange_replaces_the_previous_token() -> None:
    text = " ".join(QUICKSTART.read_text().split())
    assert "a new exchange (after installing again) replaces the installation's previous token" in (
        text
    )


def _wait_for_line(log_path: Path, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = log_path.read_text()
        if text in output:
            return output
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never printed:\n{log_path.read_text()}")


def _form_post(
    client: httpx.Client, page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    match = CSRF_FIELD.search(client.get(page).text)
    assert match, page
    return client.post(action, data={"csrf_token": match.group(1), **data})


def test_scripts_sandbox_starts_both_servers_and_its_printed_clicks_reach_the_first_api_call(
    tmp_path: Path,
) -> None:
    port, partner_port = free_port(), free_port()
    platform_url, partner_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{partner_port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("ZENTAIL_")}
    env = {key: value for key, value in env.items() if not key.startswith("PARTNER_")}
    env |= {
        "ZENTAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'zentail.db'}",
        "PARTNER_DATABASE": str(tmp_path / "partner_app.db"),
        "CI": "1",
    }
    command = [
        "bash",
        "-c",
        f"{commands(blocks('sh first-hour')[0])[-1]} --port {port} --partner-port {partner_port}",
    ]
    log_path = tmp_path / "sandbox.log"
    with running_process(
        command, env, log_path, f"{partner_url}/login", cwd=REPO, start_timeout=600
    ):
        printed = _wait_for_line(log_path, "Ctrl-C stops both.", timeout=120)
        for step in (
            f"open {platform_url}/ and log in as {demo.ADMIN_EMAIL} / {demo.ADMIN_PASSWORD}",
            'Apps -> Demo Partner -> click "Install Demo Partner"',
            "log in as partner@demo.example / demo-partner-password",
        ):
            assert step in printed
        # The clicks, as a browser without JavaScript makes them.
        with httpx.Client(base_url=platform_url, timeout=30) as seller:
            login = {"email": demo.ADMIN_EMAIL, "password": demo.ADMIN_PASSWORD}
            assert _form_post(seller, "/login", "/login", login).status_code == 303
            app_page = f"/apps/{demo.DOCUMENTED_CLIENT_ID}"
            assert "Install Demo Partner" in seller.get(app_page).text
            installed = _form_post(seller, app_page, f"{app_page}/install", {})
        assert installed.status_code == 303
        callback = installed.headers["location"]
        assert callback.startswith(f"{partner_url}/oauth_callback?")
        with httpx.Client(base_url=partner_url, timeout=30) as partner_browser:
            linking = partner_browser.get(callback)
            assert (linking.status_code, linking.headers["location"]) == (303, "/login?linking=1")
            form = partner_browser.get("/login?linking=1").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form)
            assert csrf
            credentials = {"username": "partner@demo.example", "password": "demo-partner-password"}
            logged_in = partner_browser.post("/login", data=credentials | {"csrf": csrf.group(1)})
            assert logged_in.status_code == 303
            home = partner_browser.get("/")
    assert home.status_code == 200
    listed = re.search(r"Pending orders \((\d+)\)", home.text)
    assert listed, home.text
    assert int(listed.group(1)) > 0


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
