from django.urls import path

from directory import views

urlpatterns = [
    path("m/<str:code>/contacts/", views.contacts_page, name="contacts-page"),
    path("m/<str:code>/documents/", views.documents_page, name="documents-page"),
    path("m/<str:code>/documents/<int:pk>/", views.document_page, name="document-page"),
    path("m/<str:code>/feeds/", views.feeds_page, name="feeds-page"),
    path("documents/<int:pk>/v<int:number>/file", views.document_download, name="document-download"),
]
