"""The OData endpoints: service document, $metadata, entity sets and their $count.

Callers authenticate with an API token as the CSV / XLSX feeds do (bi/auth.py over core/tokens.py): as the password
of HTTP Basic (what Excel and Power BI ask for; the user name is ignored), as `?key=`, or as `Authorization: Bearer`. Every answer carries
`OData-Version: 4.0`; every refusal is an OData error body `{"error": {"code", "message"}}`, never an HTML page or
a 500."""

from __future__ import annotations

import functools
import json
import logging
import re
from decimal import Decimal
from urllib.parse import quote, urlencode

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.bi import entities as registry
from openjxc.bi.auth import token_user
from openjxc.bi.feeds import scope_of
from openjxc.bi.odata import csdl
from openjxc.bi.odata.payload import row_writer
from openjxc.bi.odata.query import bad, parse_count, parse_names, parse_orderby
from openjxc.bi.odata.sql import EntityQuery, Request
from openjxc.core.errors import DomainError
from openjxc.reports.access import require_reader

logger = logging.getLogger(__name__)

PAGE_SIZE = 5000  # rows per page unless the client prefers fewer (Prefer: odata.maxpagesize)
MAX_PAGE_SIZE = 50000
JSON_TYPE = "application/json;odata.metadata=minimal;IEEE754Compatible={ieee};charset=utf-8"
OPTIONS = {"$select", "$filter", "$orderby", "$top", "$skip", "$count", "$skiptoken", "$format"}
_MAXPAGESIZE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)


def _response(body: str | bytes, status: int = 200, content_type: str | None = None, **headers: str) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=content_type or JSON_TYPE.format(ieee="false"))
    response["OData-Version"] = "4.0"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _error(code: str, message: str, status: int, **headers) -> HttpResponse:
    body = json.dumps({"error": {"code": code, "message": str(message)}}, ensure_ascii=False)
    return _response(body, status, **headers)


def odata_view(view):
    """Authenticate by token, speak the user's language, and answer every refusal as an OData error."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return _error("odata.method_not_allowed", _("This OData service is read-only: use GET."), 405,
                          Allow="GET, HEAD")
        user = token_user(request)
        if user is None:
            return _error("odata.unauthorized", _("Sign in with an API token: as the password (any user name) "
                                                  "or as ?key=."), 401, WWW_Authenticate='Basic realm="OpenJXC"')
        if user.language:
            translation.activate(user.language)
        try:
            require_reader(user)  # who may read the reports reads the feed (bi.feeds.scope_of per entity set)
            return view(request, user, *args, **kwargs)
        except DomainError as exc:
            return _error(exc.code, exc.render_message(), exc.http_status)
        except DatabaseError:
            logger.exception("OData query failed: %s", request.get_full_path())
            return _error("odata.query_failed", _("The database could not answer this query; it has been "
                                                  "logged. Simplify the query or tell your administrator."), 400)

    return wrapped


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("odata:service"))


def _entity(name: str):
    entity = registry.ENTITIES.get(name)
    if entity is None:
        raise DomainError("odata.not_found", gettext_lazy("There is no entity set %(name)s."), name=name,
                          http_status=404)
    return entity


@odata_view
def service(request: HttpRequest, user) -> HttpResponse:
    """The service document: every entity set."""
    sets = [{"name": name, "kind": "EntitySet", "url": name} for name in registry.ENTITIES]
    body = {"@odata.context": _base(request) + "$metadata", "value": sets}
    return _response(json.dumps(body, ensure_ascii=False))


@odata_view
def metadata(request: HttpRequest, user) -> HttpResponse:
    """$metadata as CSDL XML."""
    xml = csdl.metadata_xml(list(registry.ENTITIES.values()), registry.VERSION)
    return _response(xml, content_type="application/xml;charset=utf-8")


def _options(request: HttpRequest, entity) -> tuple[Request, bool]:
    """The query options as a Request, and whether $count=true was asked."""
    params = request.GET
    for name in params:
        if name.startswith("$") and name not in OPTIONS:
            raise bad("unsupported", gettext_lazy("The query option %(option)s is not supported."), option=name)
    fmt = params.get("$format", "json").lower()
    if not (fmt == "json" or fmt.startswith("application/json")):
        raise bad("format", gettext_lazy("Only $format=json is offered."))
    names = [c.name for c in entity.columns]
    select = parse_names(params["$select"], "$select", names) if "$select" in params else names
    count = params.get("$count", "false").lower()
    if count not in ("true", "false"):
        raise bad("count", gettext_lazy("$count must be true or false."))
    req = Request(select=select, filter=params.get("$filter", "").strip())
    if "$orderby" in params:
        req.orderby = parse_orderby(params["$orderby"], names)
    if "$top" in params:
        req.top = parse_count(params["$top"], "$top")
    if "$skip" in params:
        req.skip = parse_count(params["$skip"], "$skip")
    if "$skiptoken" in params:
        if req.orderby:
            raise bad("skiptoken", gettext_lazy("$skiptoken is not one this service gave out."))
    return req, count == "true"


def _page_size(request: HttpRequest) -> tuple[int, bool]:
    """Rows per page, and whether it is the client's preference (then echoed in Preference-Applied)."""
    m = _MAXPAGESIZE.search(request.headers.get("Prefer", ""))
    if m and int(m.group(1)) > 0:
        return min(int(m.group(1)), MAX_PAGE_SIZE), True
    return PAGE_SIZE, False


def _next_link(request: HttpRequest, **changes) -> str:
    kept = [(k, v) for k, v in request.GET.items() if k not in ("$skip", "$skiptoken", "$top")]
    kept += [(k, str(v)) for k, v in changes.items() if v is not None]
    query = urlencode([(k.replace("dollar_", "$"), v) for k, v in kept], quote_via=quote, safe="$,()'")
    return request.build_absolute_uri(request.path) + "?" + query


@odata_view
def entity_set(request: HttpRequest, user, name: str) -> HttpResponse:
    """One page of an entity set, with @odata.nextLink while more rows follow."""
    entity = _entity(name)
    req, with_count = _options(request, entity)
    query = EntityQuery(entity, scope_of(user, entity))
    if "$skiptoken" in request.GET:
        req.after = query.read_skiptoken(request.GET["$skiptoken"])
    size, preferred = _page_size(request)
    limit = size if req.top is None else min(size, req.top)
    accept = (request.headers.get("Accept", "") + ";" + request.GET.get("$format", "")).lower().replace(" ", "")
    ieee754 = "ieee754compatible=true" in accept
    sql, params, fetch, mode = query.page(req, limit + 1, ieee754=ieee754)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        total = None
        if with_count:
            count_sql, count_params = query.count(req)
            cursor.execute(count_sql, count_params)
            total = cursor.fetchone()[0]
    more = len(rows) > limit
    rows = rows[:limit]
    if mode != "values":
        value = ",".join(row[0] for row in rows)
    else:
        width = len(req.select)
        write = row_writer(req.select, [query.types[n] for n in req.select], ieee754=ieee754)
        value = ",".join(write(row[:width]) for row in rows)
    context = _base(request) + "$metadata#" + name + (f"({','.join(req.select)})" if "$select" in request.GET else "")
    parts = ['{"@odata.context":', json.dumps(context)]
    if total is not None:
        parts.append(f',"@odata.count":{total}')
    parts.append(',"value":[')
    parts.append(value)
    parts.append("]")
    if more and (req.top is None or req.top > limit):
        top = None if req.top is None else req.top - limit
        if req.orderby:
            link = _next_link(request, dollar_skip=req.skip + limit, dollar_top=top)
        else:
            if mode == "row_json":  # the key is in the row's JSON
                last = json.loads(rows[-1][0], parse_float=Decimal)
                token = query.skiptoken([last[k] for k in entity.key])
            else:
                token = query.skiptoken([rows[-1][fetch.index(k)] for k in entity.key])
            link = _next_link(request, dollar_skiptoken=token, dollar_top=top)
        parts.append(',"@odata.nextLink":' + json.dumps(link))
    parts.append("}")
    response = _response("".join(parts), content_type=JSON_TYPE.format(ieee="true" if ieee754 else "false"))
    if preferred:
        response["Preference-Applied"] = f"odata.maxpagesize={size}"
    return response


@odata_view
def entity_count(request: HttpRequest, user, name: str) -> HttpResponse:
    """/EntitySet/$count: the number of rows matching $filter, as plain text."""
    entity = _entity(name)
    req, _with_count = _options(request, entity)
    sql, params = EntityQuery(entity, scope_of(user, entity)).count(req)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        total = cursor.fetchone()[0]
    return _response(str(total), content_type="text/plain;charset=utf-8")


@odata_view
def not_found(request: HttpRequest, user, rest: str) -> HttpResponse:
    """Any other address under /odata/ (a key segment, a navigation): an OData 404, not the site's page."""
    return _error("odata.not_found", _("There is no OData resource at this address."), 404)
