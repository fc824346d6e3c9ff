"""What the signed links in messages about issues leave behind: the first device that acted on each."""

from django.db import models


class ActionLinkUse(models.Model):
    """A signed action link (triage.residents.links) is bound to the first browser that acts through
    it; opened anywhere else afterwards (a forwarded message) it only shows the issue."""

    digest = models.CharField(max_length=64, primary_key=True, help_text="sha256 of the link's token.")
    device = models.CharField(max_length=64, help_text="sha256 of the device cookie that first acted.")
    first_used_at = models.DateTimeField()

    class Meta:
        app_label = "triage"
