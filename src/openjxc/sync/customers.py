"""Which stores' tills may name a customer (docs/terminal-protocol.md "Customers").

A till may always sell to its own walk-in customer. Any other customer it names must be an active customer of
the company that is not limited to other stores: a customer with no StoreCustomer rows is sold to at every
store, one with rows only at those stores. A customer of another store (or a supplier, or an inactive partner)
named in a sale is refused with `terminal.customer_not_allowed`."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.core.errors import NotFound, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import User
from openjxc.partners.models import Partner
from openjxc.stock.models import Warehouse, WarehouseKind
from openjxc.sync.models import StoreCustomer


def stores_of(customer: Partner) -> list[Warehouse]:
    """The stores a customer is limited to (empty: every store)."""
    ids = StoreCustomer.objects.filter(customer=customer).values_list("warehouse_id", flat=True)
    return list(Warehouse.objects.filter(pk__in=ids).order_by("code"))


def _ref(company_id: int, model, ref, what: str):
    lookup = {"pk": ref} if isinstance(ref, int) and not isinstance(ref, bool) else {"code": ref}
    found = model.objects.filter(company_id=company_id, **lookup).first() if isinstance(ref, int | str) else None
    if found is None:
        raise NotFound(what, ref if isinstance(ref, int | str) else None)
    return found


@transaction.atomic
def set_customer_stores(*, by: User, customer, stores: list) -> list[Warehouse]:
    """Limit the stores whose tills may name `customer` to `stores` (an empty list: every store)."""
    permissions.require(by, "masterdata.edit")
    company_id = permissions.company_id_of(by)
    partner = _ref(company_id, Partner, customer, "partner")
    if not partner.plays("customer"):
        raise ValidationFailed(field="customer", reason=_("is not a customer"))
    if not isinstance(stores, list) or len(stores) > 500:
        raise ValidationFailed(field="stores", reason=_("must be a list of stores"))
    chosen = {w.pk: w for w in (_ref(company_id, Warehouse, s, "warehouse") for s in stores)}
    if any(w.kind != WarehouseKind.STORE for w in chosen.values()):
        raise ValidationFailed(field="stores", reason=_("must all be stores"))
    Partner.objects.select_for_update().filter(pk=partner.pk).values_list("pk", flat=True).first()
    before = sorted(w.code for w in stores_of(partner))
    StoreCustomer.objects.filter(customer=partner).exclude(warehouse_id__in=list(chosen)).delete()
    have = set(StoreCustomer.objects.filter(customer=partner).values_list("warehouse_id", flat=True))
    StoreCustomer.objects.bulk_create([StoreCustomer(company_id=company_id, customer=partner, warehouse_id=pk)
                                       for pk in chosen if pk not in have])
    after = sorted(w.code for w in chosen.values())
    record_event(company=company_id, topic="partner.stores", by=by, obj=partner,
                 payload={"code": partner.code, "stores": after})
    record_audit(company=company_id, action="partner.stores", obj=partner, by=by, before={"stores": before},
                 after={"stores": after})
    return sorted(chosen.values(), key=lambda w: w.code)
