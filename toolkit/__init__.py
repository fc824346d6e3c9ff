"""Shared code every app may use; it imports no app (see docs/architecture.md)."""
