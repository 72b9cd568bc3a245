"""The command line's global behaviour: version, usage errors, exit codes."""

from __future__ import annotations

from tests.fixtures_cli import RunSpprov


def test_version(spprov: RunSpprov) -> None:
    result = spprov("--version")
    assert result.code == 0
    assert result.stdout.strip() == "spprov, version 0.1.0"


def test_unknown_option_exits_1_not_2(spprov: RunSpprov) -> None:
    result = spprov("--no-such-option")
    assert result.code == 1
    assert "Error: No such option '--no-such-option'" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_directory_is_one_clear_line(spprov: RunSpprov, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = spprov("-C", str(tmp_path / "nope"), "validate")
    assert result.code == 1
    assert result.stderr.strip() == f"spprov: -C {tmp_path / 'nope'}: no such directory"
