"""`python -m muyun`: the four sub-commands are wired up and their help texts come from labels."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from muyun import labels
from muyun.cli import COMMANDS, build_parser, main

REPO_ROOT = Path(__file__).resolve().parent.parent
SUBCOMMANDS = ("demo-data", "import", "score", "report")


def test_module_help_lists_the_four_commands():
    done = subprocess.run(
        [sys.executable, "-m", "muyun", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert labels.CLI_DESCRIPTION in done.stdout
    for command in SUBCOMMANDS:
        assert command in done.stdout
    assert len(COMMANDS) == len(SUBCOMMANDS)


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("demo-data", labels.DEMO_CLI_TEXT["db"]),
        ("import", labels.IMPORT_CLI_TEXT["file"]),
        ("score", labels.SCORE_CLI_TEXT["arg_out"]),
        ("report", labels.REPORT_CLI_TEXT["code"]),
    ],
)
def test_each_subcommand_help_exits_0(command, text, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert f"python -m muyun {command}" in out
    assert "".join(text.split())[:12] in "".join(out.split())  # argparse re-wraps lines


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_every_command_sets_its_function():
    parser = build_parser()
    for command in SUBCOMMANDS:
        args = parser.parse_args([command, *_required(command)])
        assert callable(args.func)


def _required(command: str) -> list[str]:
    """The least each command's parser accepts (parsing only: nothing runs)."""
    return {
        "demo-data": [],
        "import": ["x.csv", "--table", "enterprises"],
        "score": ["--db", "x.duckdb", "--out", "o.csv"],
        "report": ["--year", "2024", "--out", "o.pdf"],
    }[command]
