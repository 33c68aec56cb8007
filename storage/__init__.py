"""The encrypted vault: key slots, encrypted records and attachments in SQLite.

Knows nothing of the layers above it."""
