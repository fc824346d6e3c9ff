"""Celery tasks: thin wrappers of the services (the messages queue)."""

from celery import shared_task

from channels.services import handle_waiting_inbound, inbound_handle


@shared_task(name="channels.handle_inbound")
def handle_inbound(inbound_id: int) -> None:
    inbound_handle(inbound_id)


@shared_task(name="channels.handle_waiting")
def handle_waiting() -> int:
    return handle_waiting_inbound()
