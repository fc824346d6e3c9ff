"""Background work's schedules: every default periodic task exists after migrate, editable in the
admin, and names a task the workers know, on the queue of its kind."""

import pytest
from django_celery_beat.models import PeriodicTask

from gisplatform.celery import app
from gisplatform.schedules import DEFAULT_SCHEDULES, ensure_schedules


@pytest.mark.django_db
def test_every_default_schedule_names_a_task_the_workers_know():
    app.loader.import_default_modules()
    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert {name for name, *_ in DEFAULT_SCHEDULES} <= set(tasks)
    for name, *_ in DEFAULT_SCHEDULES:
        assert tasks[name] in app.tasks, f"{name}: no task {tasks[name]}"


@pytest.mark.django_db
def test_a_schedule_an_operator_changed_is_kept_by_the_next_migrate():
    refresh = PeriodicTask.objects.get(task="imbizo.refresh_heatmap_summary")
    assert refresh.interval.every == 60 and refresh.enabled
    refresh.enabled = False
    refresh.save()
    assert ensure_schedules() == 0
    assert not PeriodicTask.objects.get(pk=refresh.pk).enabled
    refresh.delete()
    assert ensure_schedules() == 1  # a deleted one comes back


def test_tasks_go_to_the_queue_of_their_kind():
    app.loader.import_default_modules()
    router = app.amqp.router
    queue = {name: router.route({}, name)["queue"].name for name in (
        "notices.deliver_message", "notices.sweep_outbox", "imbizo.refresh_heatmap_summary", "imbizo.send_scheduled_reports",
        "imbizo.close_resolved_issues", "notices.fanout_notice")}
    assert queue == {"notices.deliver_message": "messages", "notices.sweep_outbox": "messages",
                     "imbizo.refresh_heatmap_summary": "maintenance", "imbizo.send_scheduled_reports": "reports",
                     "imbizo.close_resolved_issues": "maintenance", "notices.fanout_notice": "fanout"}
