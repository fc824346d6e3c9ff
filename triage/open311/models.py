"""Systems that use the Open311 API with a key."""

from django.db import models


class ApiClient(models.Model):
    """A system allowed to POST through Open311 (a mobile app, a back office): its api_key."""

    name = models.CharField(max_length=120)
    key = models.CharField(max_length=64, unique=True)
    municipality = models.ForeignKey(
        "wards.Municipality", null=True, blank=True, on_delete=models.CASCADE, related_name="api_clients",
        help_text="Empty: any municipality.",
    )
    may_post_updates = models.BooleanField(default=False, help_text="May push status updates (back office).")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name
