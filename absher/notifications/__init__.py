"""One pipeline for every outside message (DESIGN.md, "Outside effects leave through one pipeline").

models.py     Notice (the portal's notices of every app) and OutboxMessage (one message to send)
texts.py      each app registers the texts of its notices
services.py   notify(), message_enqueue(), notices_mark_read(), message_resend(): rows in the
              caller's transaction, the task enqueued on commit
delivery.py   message_deliver() (claim, send once, record), receipt_record(), outbox_sweep()
tasks.py      the Celery tasks send_message and outbox_sweep
selectors.py  notices_of(), unread_notices(), outbox_stats()
views.py      Twilio's signed delivery receipts
"""
