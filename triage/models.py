"""The triage app's models, defined in its sub-packages and gathered here for Django."""

from triage.dispatch.models import RoutingRule
from triage.intake.models import IntakeKey
from triage.issues.models import (
    Category,
    Channel,
    Comment,
    Follower,
    Issue,
    IssueEvent,
    Kind,
    Priority,
    Question,
    Rating,
    Upvote,
)
from triage.media.models import Media, media_upload_to, thumbnail_upload_to  # the two functions: named by migrations
from triage.open311.models import ApiClient
from triage.residents.models import ActionLinkUse

__all__ = ["ActionLinkUse",
           "ApiClient", "Category", "Channel", "Comment", "Follower", "IntakeKey", "Issue", "IssueEvent", "Kind", "Media",
           "Priority", "Question", "Rating", "RoutingRule", "Upvote", "media_upload_to", "thumbnail_upload_to"]
