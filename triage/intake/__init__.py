"""Filing reports: the report serializer, issue_create (area, asset snap, routing, reference,
Idempotency-Key), and past issues imported from an earlier system."""
