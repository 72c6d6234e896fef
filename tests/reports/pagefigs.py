"""Read the figures a report page shows: its KPI cards and tables, as the exact values in `data-value`."""

from __future__ import annotations

from html.parser import HTMLParser


class _Figures(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cards: dict[str, str] = {}
        self.tables: dict[str, dict[str, dict[str, str]]] = {}
        self._card = self._table = self._row = None
        self._label: list[str] | None = None
        self._in_label = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-kpi" in a:
            self._card = a["data-kpi"]
        elif self._card and "data-value" in a and "kpi-value" in a.get("class", ""):
            self.cards[self._card] = a["data-value"]
            self._card = None
        if tag == "table" and "data-table" in a:
            self._table = self.tables.setdefault(a["data-table"], {})
        elif self._table is not None and tag == "tr":
            self._row, self._label = None, []
        elif self._table is not None and tag == "th" and a.get("scope") == "row" and self._label is not None:
            self._in_label = True
        elif self._table is not None and tag == "td" and self._row is not None and "data-col" in a:
            self._row[a["data-col"]] = a.get("data-value", "")

    def handle_endtag(self, tag):
        if tag == "th" and self._in_label:
            self._in_label = False
            label = "".join(self._label).strip()
            self._row = self._table.setdefault(label, {})
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._in_label:
            self._label.append(data)


def figures(html: str | bytes) -> _Figures:
    p = _Figures()
    p.feed(html.decode() if isinstance(html, bytes) else html)
    return p
