"""Shared fixtures, one plugin module per area so they can grow independently."""

pytest_plugins = [
    "tests.fixtures_cli",
    "tests.fixtures_emulator",
    "tests.fixtures_state",
    "tests.fixtures_gitops",
    "tests.fixtures_aws",
    "tests.fixtures_relay",
]
