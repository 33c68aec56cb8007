"""The laptop's sync engine (issue 8): outbox batches kept until a signed receipt names them,
quarantine, field-level merge of pulled changes with a conflicts list, revocation, retries,
and the USB stick. Plain Python; the GUI drives it from ``ui/sync_controller.py``."""
