"""Sync adapters: the outbox, the event codec, the sync client and the hub (sync/hub/)."""
