"""The OpenJXC terminal client: a local SQLite outbox and catalogue cache that syncs with the server.

Pure Python (httpx + sqlite3), no Django: a third-party POS can embed it. See docs/terminal-protocol.md.
"""

from openjxc.sync.client.store import LocalStore
from openjxc.sync.client.terminal import ServerUnavailable, TerminalClient, TerminalError

__all__ = ["LocalStore", "ServerUnavailable", "TerminalClient", "TerminalError"]
