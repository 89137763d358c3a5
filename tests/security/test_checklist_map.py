"""docs/security.md maps every checklist item, and every ``test_item_NN`` test is in the row
of its item (so the map cannot silently drift from the tests)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "security.md"
FILES = {
    "a": "test_a_token_request_parsing.py",
    "b": "test_b_client_authentication.py",
    "c": "test_c_code_issuance.py",
    "d": "test_d_code_redemption.py",
    "e": "test_e_token_response_and_storage.py",
    "f": "test_f_revocation_introspection_metadata.py",
    "g": "test_g_operations.py",
    "h": "test_h_refresh_tokens.py",
    "s": "test_callback_signature_spec.py",
}
ROW = re.compile(r"^\| (\d+) \| [^|]+ \| ([^|]+) \|", re.MULTILINE)
LETTERS = re.compile(r"^([a-hs](?:, [a-hs])*)(?=[ :(]|$)")


def rows() -> dict[int, set[str]]:
    mapped: dict[int, set[str]] = {}
    for number, cell in ROW.findall(DOC.read_text()):
        match = LETTERS.match(cell.strip())
        mapped[int(number)] = set(match.group(1).split(", ")) if match else set()
    return mapped


def test_every_checklist_item_has_a_row() -> None:
    assert sorted(rows()) == list(range(1, 58))


def test_every_item_test_is_listed_in_its_items_row() -> None:
    mapped = rows()
    for letter, name in FILES.items():
        source = (Path(__file__).parent / name).read_text()
        for number in {int(n) for n in re.findall(r"def test_item_(\d+)_", source)}:
            assert letter in mapped[number], f"item {number}: {name} is not in its row"


OTHER_COVERAGE = ("**pending**", "**not applicable**", "covered by the web UI tests")


def test_every_row_without_tests_here_says_why() -> None:
    text = DOC.read_text()
    for number, letters in rows().items():
        if not letters:
            line = next(line for line in text.splitlines() if line.startswith(f"| {number} |"))
            assert any(reason in line for reason in OTHER_COVERAGE), number


def test_every_test_file_the_map_names_exists() -> None:
    for path in re.findall(r"`(tests/[\w/]+\.py)", DOC.read_text()):
        assert (ROOT / path).is_file(), path


NAMED_TESTS = re.compile(r"`(tests/[\w/]+\.py)` \(((?:`test_\w+`(?:, )?)+)\)")


def test_every_test_function_the_map_names_exists_in_its_file() -> None:
    named = NAMED_TESTS.findall(DOC.read_text())
    assert named  # the map does name some tests this way
    for path, functions in named:
        source = (ROOT / path).read_text()
        for function in re.findall(r"`(test_\w+)`", functions):
            assert f"def {function}(" in source, f"{path}::{function}"
