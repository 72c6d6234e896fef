"""Print views: a document as PDF (A4 or 80 mm receipt) or as an HTML print page; labels of items and lots.

A document prints for whoever may open it (company and warehouse scope, as on its page); anything
else is not found (404). Query parameters that make no sense answer 400 with the reason, never 500.
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.catalog.models import Item
from openjxc.core import permissions
from openjxc.documents.models import Document
from openjxc.documents.views import _load_document
from openjxc.printing.content import document_printout
from openjxc.printing.label_sizes import MAX_COPIES, SIZES
from openjxc.stock.models import Lot
from openjxc.web.pages import company_page

PAPERS = ("a4", "receipt")


class LabelOptions(forms.Form):
    size = forms.ChoiceField(choices=[(k, k) for k in SIZES], required=False)
    copies = forms.IntegerField(min_value=1, max_value=MAX_COPIES, required=False)
    price = forms.BooleanField(required=False, label=gettext_lazy("Print the price"))


def _pdf(content: bytes, filename: str, download: bool) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"  # prices and costs are per user
    return response


def _document(request, pk: int) -> Document:
    if not permissions.allowed(request.user, "document.view"):
        raise Http404(_("Document not found."))
    return _load_document(request.user, pk)


@company_page
def document_pdf(request, pk: int, paper: str):
    if paper not in PAPERS:
        raise Http404(_("Unknown paper size."))
    doc = _document(request, pk)
    # reportlab loads with the first PDF drawn, not with the server (~15 MB a process that prints nothing need not hold)
    from openjxc.printing.documents import a4_pdf, receipt_pdf

    content = (a4_pdf if paper == "a4" else receipt_pdf)(document_printout(doc, request.user))
    return _pdf(content, f"{doc.number}-{paper}.pdf", request.GET.get("download") == "1")


@company_page
def document_print(request, pk: int):
    """The HTML print page: the browser's own print dialog, A4 or 80 mm by CSS @page."""
    doc = _document(request, pk)
    paper = request.GET.get("paper", "a4")
    if paper not in PAPERS:
        raise Http404(_("Unknown paper size."))
    printout = document_printout(doc, request.user)
    import segno  # python-barcode and segno load with the first page that draws a code

    return render(request, "printing/document.html", {
        "doc": doc, "p": printout, "paper": paper,
        "qr_svg": segno.make(doc.number, error="m", micro=False).svg_inline(scale=3, border=2),
        "barcode_svg": _code128_svg(doc.number),
    })


def _code128_svg(data: str) -> str:
    """Code128 as inline SVG from python-barcode's own SVG writer (text drawn by the page instead)."""
    import barcode
    from barcode.writer import SVGWriter

    svg = barcode.Code128(data, writer=SVGWriter()).render(
        {"module_height": 10.0, "module_width": 0.25, "quiet_zone": 2.0, "write_text": False}, text="",
    )
    text = svg.decode("utf-8")
    return text[text.index("<svg"):]


def _label_options(request) -> dict | HttpResponse:
    form = LabelOptions(request.GET)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    data = form.cleaned_data
    return {"size": data["size"] or None, "copies": data["copies"] or 1, "price": data["price"]}


@company_page
def item_labels(request, pk: int):
    options = _label_options(request)
    if isinstance(options, HttpResponse):
        return options
    item = (Item.objects.filter(company_id=request.user.company_id, pk=pk)
            .select_related("base_unit").prefetch_related("barcodes").first())
    if item is None:
        raise Http404(_("Item not found."))
    from openjxc.printing import labels as label_layouts

    label = label_layouts.item_label(item, with_price=options["price"])
    content = label_layouts.labels_pdf([(label, options["copies"])], options["size"] or "40x30")
    return _pdf(content, f"labels-{item.code}.pdf", request.GET.get("download") == "1")


@company_page
def lot_labels(request, pk: int):
    options = _label_options(request)
    if isinstance(options, HttpResponse):
        return options
    lot = (Lot.objects.filter(company_id=request.user.company_id, pk=pk)
           .select_related("item").prefetch_related("item__barcodes").first())
    if lot is None:
        raise Http404(_("Lot not found."))
    from openjxc.printing import labels as label_layouts

    content = label_layouts.labels_pdf([(label_layouts.lot_label(lot), options["copies"])], options["size"] or "60x40")
    return _pdf(content, f"labels-{lot.item.code}-{lot.code}.pdf", request.GET.get("download") == "1")


@company_page
def document_labels(request, pk: int):
    """One label per line of a document: the lot's label where the line has a lot, else the item's."""
    options = _label_options(request)
    if isinstance(options, HttpResponse):
        return options
    doc = _document(request, pk)
    from openjxc.printing import labels as label_layouts

    labels = []
    seen = set()
    lines = doc.lines.select_related("item__base_unit", "lot__item").prefetch_related("item__barcodes",
                                                                                       "lot__item__barcodes")
    for ln in lines:
        key = ("lot", ln.lot_id) if ln.lot_id else ("item", ln.item_id)
        if key in seen:
            continue
        seen.add(key)
        label = (label_layouts.lot_label(ln.lot) if ln.lot_id
                 else label_layouts.item_label(ln.item, with_price=options["price"]))
        labels.append((label, options["copies"]))
    if len(labels) * options["copies"] > MAX_COPIES:
        return HttpResponseBadRequest(
            _("At most %(n)s labels at a time.") % {"n": MAX_COPIES},
            content_type="text/plain; charset=utf-8",
        )
    content = label_layouts.labels_pdf(labels, options["size"] or "60x40")
    return _pdf(content, f"{doc.number}-labels.pdf", request.GET.get("download") == "1")

