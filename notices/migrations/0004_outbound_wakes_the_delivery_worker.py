from django.db import migrations

# Each INSERT statement that queues messages notifies the delivery worker (LISTEN
# imbizo_outbound, `send_queued_messages --follow`). PostgreSQL delivers a NOTIFY only when its
# transaction commits, so the worker never sees a message that is not there yet, nor one rolled back.
NOTIFY = """
CREATE FUNCTION notices_outbound_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('imbizo_outbound', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbound_queued AFTER INSERT ON notices_outboundmessage
    FOR EACH STATEMENT EXECUTE FUNCTION notices_outbound_queued();
"""
DROP = """
DROP TRIGGER outbound_queued ON notices_outboundmessage;
DROP FUNCTION notices_outbound_queued();
"""


class Migration(migrations.Migration):
    dependencies = [("notices", "0003_outbound_attachments")]

    operations = [migrations.RunSQL(NOTIFY, DROP)]
