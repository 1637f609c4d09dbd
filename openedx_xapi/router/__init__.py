"""Stage 5: Celery tasks that deliver documents to each consumer, with retries."""
