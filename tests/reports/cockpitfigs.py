"""Read the cockpit page back: per tile its main figure and its secondary figures, the exact `data-value`s."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tiles(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tiles: dict[str, dict[str, str]] = {}
        self.lists: dict[str, dict[str, list[str]]] = {}
        self._tile: str | None = None
        self._list: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-tile" in a:
            self._tile = a["data-tile"]
            self.tiles[self._tile] = {}
            self.lists[self._tile] = {}
        elif self._tile is None:
            return
        elif "tile-value" in (a.get("class") or ""):
            self.tiles[self._tile]["value"] = a.get("data-value", "")
        elif "data-figure" in a:
            self.tiles[self._tile][a["data-figure"]] = a.get("data-value", "")
        elif "data-delta" in a:
            self.tiles[self._tile]["delta"] = a["data-delta"]
        elif "data-list" in a:
            self._list = a["data-list"]
            self.lists[self._tile][self._list] = []
        elif self._list and "tl-value" in (a.get("class") or ""):
            self.lists[self._tile][self._list].append(a.get("data-value", ""))

    def handle_endtag(self, tag):
        if tag == "ol":
            self._list = None
        elif tag == "a" and self._list is None:
            self._tile = None


def tiles(html: bytes | str) -> _Tiles:
    p = _Tiles()
    p.feed(html.decode() if isinstance(html, bytes) else html)
    return p
