"""The document archive's keyword search: any document by number, partner, item, lot or memo, Chinese
substrings included, fast on millions of documents on both databases.

Each document has one `DocumentSearch` row whose `tokens` are the searchable words of the document as
space-separated index terms: ASCII words and numbers whole (``cgrk``, ``20261124``, ``0001``), and every
other run of letters (Chinese) as its single characters and its character pairs (面粉厂 → 面 粉 厂 面粉 粉厂).
A query is cut the same way and every term of it must be present: 粉厂 finds 面粉厂, 面 finds 面粉, and ASCII
terms match as prefixes (``cgrk-2026`` finds ``CGRK-20261124-0001``). Pairs may match across the gap of
two different words in rare cases; the result is what an archive search should be: never missing a
document that contains the words.

PostgreSQL: a GIN index on ``array_to_tsvector(string_to_array(tokens, ' '))`` (no text-search parser
or locale involved) queried with a tsquery of quoted lexemes. SQLite: an FTS5 external-content table
kept in step with the rows by triggers (decision 0010).
"""

from __future__ import annotations

import re
import unicodedata

from django.db import connection
from django.db.models.expressions import RawSQL

from openjxc.core.sql import write_together

_ASCII = re.compile(r"[0-9a-z]+")
_OTHER = re.compile(r"[^\x00-\x7f]+")
MAX_TOKENS_CHARS = 4000
MAX_QUERY_TERMS = 16


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _cjk_terms(run: str) -> list[str]:
    chars = [c for c in run if c.isalnum()]
    out = list(chars)
    out += [a + b for a, b in zip(chars, chars[1:], strict=False)]
    return out


def tokens_of(*texts: str) -> str:
    """The index terms of some text, space-separated, each once."""
    seen: dict[str, None] = {}
    for text in texts:
        t = _normal(text)
        for word in _ASCII.findall(t):
            seen.setdefault(word[:40])
        for run in _OTHER.findall(t):
            for term in _cjk_terms(run):
                seen.setdefault(term)
    out = " ".join(seen)
    return out[:MAX_TOKENS_CHARS].rsplit(" ", 1)[0] if len(out) > MAX_TOKENS_CHARS else out


def query_terms(query: str) -> list[tuple[str, bool]]:
    """(term, is_prefix) pairs a query must all match: ASCII words as prefixes, Chinese as pairs (or the
    single character of a one-character word)."""
    t = _normal(query)
    terms: dict[tuple[str, bool], None] = {}
    for word in _ASCII.findall(t):
        terms.setdefault((word[:40], True))
    for run in _OTHER.findall(t):
        chars = [c for c in run if c.isalnum()]
        if len(chars) == 1:
            terms.setdefault((chars[0], False))
        for a, b in zip(chars, chars[1:], strict=False):
            terms.setdefault((a + b, False))
    return list(terms)[:MAX_QUERY_TERMS]


def document_tokens(doc, lines) -> str:
    """What a document is found by: number, partner, warehouses, memo, and its lines' items and lots."""
    parts = [doc.number, doc.memo or ""]
    for rel in ("partner", "warehouse", "to_warehouse"):
        obj = getattr(doc, rel, None) if getattr(doc, f"{rel}_id", None) else None
        if obj is not None:
            parts += [getattr(obj, "code", ""), obj.name]
    for line in lines:
        item = line.item
        parts += [item.code, item.name, getattr(item, "spec", "") or ""]
        parts.append(getattr(line, "lot_code", "") or "")
    return tokens_of(*parts)


def index_document(doc, lines, *, writes: list | None = None) -> None:
    """Write (or rewrite) the document's search row, in the caller's transaction: one UPSERT. With `writes`
    (lifecycle.Changes.later) the write is queued there, to go with the document's own."""
    # imported here, not at the top: migration 0007 imports this module for tokens_of, and a migration
    # must not load today's models
    from openjxc.documents.models import DocumentSearch

    write = ("insert", DocumentSearch, ("document", "company", "tokens"),
             [(doc.pk, doc.company_id, document_tokens(doc, lines))], ("document",), ("tokens",))
    if writes is not None:
        writes.append(write)
    else:
        write_together(write)


def matching_ids_sql(company_id: int, query: str) -> tuple[str, list] | None:
    """SQL selecting the ids of the company's documents that contain every term of `query` (None: no terms)."""
    terms = query_terms(query)
    if not terms:
        return None
    if connection.vendor == "postgresql":
        lexemes = " & ".join("'" + term.replace("'", "''").replace("\\", "\\\\") + "'" + (":*" if prefix else "")
                             for term, prefix in terms)
        return ("SELECT document_id FROM documents_documentsearch WHERE company_id = %s AND "
                "array_to_tsvector(string_to_array(tokens, ' ')) @@ %s::tsquery", [company_id, lexemes])
    match = " AND ".join('"' + term.replace('"', '""') + '"' + ("*" if prefix else "") for term, prefix in terms)
    # the rowid is the document id; the caller's queryset already keeps to the company's documents
    return "SELECT rowid FROM documents_search_fts WHERE documents_search_fts MATCH %s", [match]


def filter_documents(queryset, company_id: int, query: str):
    """`queryset` (of one company's documents) narrowed to those matching the keyword query."""
    sql = matching_ids_sql(company_id, query)
    if sql is None:
        return queryset
    return queryset.filter(pk__in=RawSQL(*sql))
