"""The encrypted vault: key slots, encrypted records and attachments in SQLite. Knows nothing above it."""
