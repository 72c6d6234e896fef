"""What keeps a month from closing, as far as documents know (stock/period_close.py's registry):
documents dated in it that are not posted yet, and transfers sent by its end and not yet received."""

from __future__ import annotations

from django.db.models import Sum
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from openjxc.documents.kinds import TRANSIT_LEGS, get_kind, orders
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.stock.period_close import Blocker, register_blocker

# orders and quotes post to no ledger: an open one does not keep a month from closing
NOT_LEDGER = {k.code for k in (orders.PURCHASE_REQUEST, orders.PURCHASE_ORDER, orders.SALES_QUOTE,
                               orders.SALES_ORDER)}
LIMIT = 200  # a page of blockers is enough to act on


def _link(pk: int) -> str:
    try:
        return reverse("web:document", args=[pk])
    except NoReverseMatch:
        return ""


def unposted(company, first, last) -> list[Blocker]:
    docs = (Document.objects.filter(company=company, business_on__range=(first, last),
                                    status__in=[Status.DRAFT, Status.SUBMITTED, Status.APPROVED])
            .exclude(kind__in=NOT_LEDGER).order_by("business_on", "pk")
            .values_list("pk", "number", "kind", "status", "business_on")[:LIMIT])
    return [
        Blocker("unposted", _("%(kind)s %(number)s of %(date)s is not posted (%(status)s)") % {
            "kind": get_kind(kind).label, "number": number, "date": day, "status": Status(status).label},
            number, _link(pk), {"document": pk})
        for pk, number, kind, status, day in docs
    ]


def in_transit(company, first, last) -> list[Blocker]:
    out = []
    for out_kind, in_kind in TRANSIT_LEGS.items():  # transfer out -> transfer in
        out += _in_transit(company, last, out_kind, in_kind)
    return out[:LIMIT]


def _in_transit(company, last, out_kind: str, in_kind: str) -> list[Blocker]:
    outs = Document.objects.filter(company=company, kind=out_kind, status=Status.POSTED, business_on__lte=last)
    sent = dict(DocumentLine.objects.filter(document__in=outs).values_list("document_id").annotate(q=Sum("quantity"))
                .order_by())
    received = dict(
        DocumentLine.objects.filter(source_line__document__in=outs, document__kind=in_kind,
                                    document__status=Status.POSTED, document__business_on__lte=last)
        .values_list("source_line__document_id").annotate(q=Sum("quantity")).order_by()
    )
    open_ids = sorted(pk for pk, q in sent.items() if q > (received.get(pk) or 0))[:LIMIT]
    out = []
    for pk, number, day in Document.objects.filter(pk__in=open_ids).order_by("business_on", "pk").values_list(
            "pk", "number", "business_on"):
        out.append(Blocker("in_transit", _("Transfer %(number)s of %(date)s is still in transit: receive it (or "
                                           "void it) first") % {"number": number, "date": day},
                           number, _link(pk), {"document": pk}))
    return out


def register() -> None:
    register_blocker(unposted)
    register_blocker(in_transit)
