"""Sync with the district server (later issues). Uses storage/ and the domain."""
