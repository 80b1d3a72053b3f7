"""Outbound campaigns: settings, contacts, calling windows, pacing and retries (no I/O here)."""
