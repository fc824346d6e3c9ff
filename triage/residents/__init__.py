"""Residents and issues: area alerts for new issues, anonymous alert subscriptions by email."""
