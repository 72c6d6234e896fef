"""Saved report views: a person keeps a pivot's layout under a name and opens it again later; theirs only."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import NotFound, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import User
from openjxc.reports.access import require_reader
from openjxc.reports.models import SavedView

MAX_VIEWS = 100
MAX_PARAMS = 4000  # characters of the saved parameters, as JSON


def saved_views(user, page: str):
    return SavedView.objects.filter(company_id=user.company_id, user=user, page=page)


@transaction.atomic
def save_view(*, by: User, page: str, name: str, params: dict) -> SavedView:
    """Keep `params` under `name` for `by` on `page` (a view of that name is replaced)."""
    require_reader(by)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationFailed(field="name", reason=_("must be 1 to 80 characters"))
    clean = {str(k)[:40]: [str(v)[:200] for v in (vs if isinstance(vs, list) else [vs])][:50]
             for k, vs in params.items() if k not in ("csrfmiddlewaretoken", "name", "export")}
    if len(str(clean)) > MAX_PARAMS:
        raise ValidationFailed(field="params", reason=_("are too long to keep"))
    view = saved_views(by, page).select_for_update().filter(name=name).first()
    before = None
    if view is None:
        if saved_views(by, page).count() >= MAX_VIEWS:
            raise ValidationFailed(field="name", reason=_("no more than %(n)s saved views") % {"n": MAX_VIEWS})
        view = SavedView.objects.create(company_id=by.company_id, user=by, page=page, name=name, params=clean)
    else:
        before = {"params": view.params}
        view.params = clean
        view.save(update_fields=["params"])
    record_audit(company=by.company, action="save", obj=view, by=by, before=before,
                 after={"name": name, "page": page, "params": clean})
    record_event(company=by.company, topic="report_view.saved", by=by, obj=view, payload={"page": page})
    return view


@transaction.atomic
def delete_view(*, by: User, view_id: int) -> None:
    """Remove one of `by`'s saved views."""
    view = SavedView.objects.select_for_update().filter(pk=view_id, user=by, company_id=by.company_id).first()
    if view is None:
        raise NotFound("saved_view", view_id)
    record_audit(company=by.company, action="delete", obj=view, by=by, before={"name": view.name,
                                                                               "params": view.params})
    record_event(company=by.company, topic="report_view.deleted", by=by, obj=view, payload={"page": view.page})
    view.delete()
