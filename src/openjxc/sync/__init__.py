"""The change feed, Server-Sent Events, and offline terminals (push/pull protocol)."""
