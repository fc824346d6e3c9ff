from django.urls import path

from directory import api

urlpatterns = [
    path("contacts/here", api.WhoServesHereView.as_view(), name="contact-here"),
    path("contacts", api.ContactListView.as_view(), name="contact-list"),
    path("documents", api.DocumentListView.as_view(), name="document-list"),
    path("documents/<int:pk>", api.DocumentDetailView.as_view(), name="document-detail"),
    path("feeds", api.FeedItemListView.as_view(), name="feed-item-list"),
]
