from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from keyless.cli.main import app

runner = CliRunner()


def test_prints_json_results() -> None:
    assert runner.invoke(app, ["expr", "@add(1, 2)"]).stdout == "3\n"
    assert runner.invoke(app, ["expr", "Hi @{toUpper('x')}"]).stdout == '"Hi X"\n'
    assert runner.invoke(app, ["expr", "@createArray(float('5'))"]).stdout == "[5.0]\n"


def test_context_inline_or_file(tmp_path: Path) -> None:
    context = {"actions": {"Get": {"outputs": {"body": {"items": [7]}}}}, "variables": {"v": "x"}}
    inline = runner.invoke(app, ["expr", "@body('Get')?.items[0]", "--context", json.dumps(context)])
    assert inline.exit_code == 0 and inline.stdout == "7\n"
    path = tmp_path / "ctx.json"
    path.write_text(json.dumps(context), encoding="utf-8")
    from_file = runner.invoke(app, ["expr", "@variables('v')", "--context", str(path)])
    assert from_file.exit_code == 0 and from_file.stdout == '"x"\n'


def test_errors_go_to_stderr_with_exit_code_1() -> None:
    result = runner.invoke(app, ["expr", "@nope()"])
    assert result.exit_code == 1
    assert "The template function 'nope' is not defined or not valid." in result.stderr
    assert result.stdout == ""
    syntax = runner.invoke(app, ["expr", "@concat('a'"])
    assert syntax.exit_code == 1 and "not valid" in syntax.stderr
    bad_context = runner.invoke(app, ["expr", "@add(1,1)", "--context", "/no/such/file"])
    assert bad_context.exit_code == 1


def test_help_has_examples() -> None:
    result = runner.invoke(app, ["expr", "--help"])
    assert result.exit_code == 0
    assert "keyless expr" in result.stdout and "--context" in result.stdout
