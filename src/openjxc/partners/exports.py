"""The columns of the partners list when exported to .xlsx: the import template's headers, so an exported file
imports again as is."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from openjxc.partners.imports import PARTNER_FIELDS
from openjxc.partners.models import Partner
from openjxc.web.excel import Column, ListExport
from openjxc.web.imports import field_label

C = Column

PF = PARTNER_FIELDS


PARTNERS_EXPORT = ListExport("partners", _("Partners"), (
    C(field_label(PF, "code"), "code"),
    C(field_label(PF, "name"), "name", width=24),
    C(field_label(PF, "kind"), "get_kind_display"),
    C(field_label(PF, "region"), "region.name"),
    C(field_label(PF, "contact"), "contact"),
    C(field_label(PF, "phone"), "phone"),
    C(field_label(PF, "email"), "email", width=20),
    C(field_label(PF, "address"), "address", width=24),
    C(field_label(PF, "tax_number"), "tax_number", width=20),
    C(field_label(PF, "credit_limit"), "credit_limit", "money"),
    C(field_label(PF, "is_active"), lambda p: 1 if p.is_active else 0, "number", 8),
), prepare=lambda qs: qs.select_related("region"),
   api_rows=lambda user, filters: Partner.objects.filter(company_id=user.company_id).order_by("code", "id"))
