from django.urls import path

from channels import api

urlpatterns = [
    path("channels/simulator/messages", api.SimulatorMessagesView.as_view(), name="channels-simulator-messages"),
    path("channels/figures", api.MessageFiguresView.as_view(), name="channels-figures"),
]
