"""Fixtures for SOPS state: throwaway age keys and repositories."""
