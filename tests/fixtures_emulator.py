"""Fixtures for the Amazon emulator (filled in by the emulator work)."""
