"""What intake keeps beyond the issue itself."""

from django.db import models


class IntakeKey(models.Model):
    """An Idempotency-Key a client sent with a report: a retry with the same key gets the same
    issue back. The row is inserted first in the intake transaction, so two concurrent retries
    serialise on the unique index and the second sees the first's issue."""

    key = models.CharField(max_length=128, primary_key=True)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of the request, to catch a reused key.")
    issue = models.ForeignKey("triage.Issue", null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
