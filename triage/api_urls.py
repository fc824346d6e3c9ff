from django.urls import path

from toolkit.replica import reads_from_replica
from triage.dispatch import board_api, cluster_api, duplicates_api
from triage.intake import api as intake_api
from triage.issues import api
from triage.media import api as media_api
from triage.residents import mine, privacy, subscriptions

urlpatterns = [
    path("categories", api.CategoryListView.as_view(), name="category-list"),
    path("issues", reads_from_replica(intake_api.IssueCollectionView.as_view()), name="issue-list"),
    path("issues/preview", intake_api.PreviewView.as_view(), name="issue-preview"),
    path("issues/clusters", reads_from_replica(cluster_api.IssueClusterView.as_view()), name="issue-clusters"),
    path("issues/duplicates", duplicates_api.DuplicatesView.as_view(), name="issue-duplicates"),
    path("issues/<str:reference>", api.IssueDetailView.as_view(), name="issue-detail"),
    path("issues/<str:reference>/history", api.IssueHistoryView.as_view(), name="issue-history"),
    path("issues/<str:reference>/comments", api.IssueCommentsView.as_view(), name="issue-comments"),
    path("issues/<str:reference>/rating", api.IssueRatingView.as_view(), name="issue-rating"),
    path("issues/<str:reference>/follow", api.IssueFollowView.as_view(), name="issue-follow"),
    path("issues/<str:reference>/upvote", api.IssueUpvoteView.as_view(), name="issue-upvote"),
    path("issues/<str:reference>/status", api.IssueStatusView.as_view(), name="issue-status"),
    path("issues/<str:reference>/assignment", api.IssueAssignmentView.as_view(), name="issue-assignment"),
    path("issues/<str:reference>/media", media_api.IssueMediaView.as_view(), name="issue-media"),
    path("me/issues", mine.MyIssuesView.as_view(), name="my-issues-api"),
    path("me/export", privacy.ExportView.as_view(), name="me-export"),
    path("me/account", privacy.AccountView.as_view(), name="me-account"),
    path("me/issues/claim", mine.ClaimView.as_view(), name="my-issues-claim"),
    path("me/issues/<str:reference>/follow", mine.MyIssueFollowView.as_view(), name="my-issue-follow"),
    path("alerts", subscriptions.AlertSubscribeView.as_view(), name="alert-subscribe"),
    path("photo-location", media_api.PhotoLocationView.as_view(), name="photo-location"),
    path("board/issues", board_api.BoardIssuesView.as_view(), name="board-issues"),
    path("board/issues/<str:reference>", board_api.BoardIssueDetailView.as_view(), name="board-issue-detail"),
    path("board/clusters", board_api.BoardClustersView.as_view(), name="board-clusters"),
    path("board/summary", board_api.BoardSummaryView.as_view(), name="board-summary"),
    path("board/actions", board_api.BoardActionsView.as_view(), name="board-actions"),
]
