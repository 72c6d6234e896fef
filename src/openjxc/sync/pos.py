"""The browser till (收银台, an installable offline web app): its page, web app manifest and service worker.

The page is a shell without data or session: the device registers itself with a one-time code and then
talks to the terminal protocol with its own token (docs/terminal-protocol.md), so the shell can be cached
and served by the service worker while the network is away. The service worker's script names the exact
static URLs the page loads (whatever the static files storage makes of them) and a version taken from
their contents: any change to an asset is a new service worker, which precaches the new files.
"""

from __future__ import annotations

import hashlib
import json

from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from openjxc.sync.models import ReviewReason

# every static file the till needs offline (the page loads nothing else)
ASSETS = [
    "web/tokens.css",
    "sync/pos.css",
    "sync/outbox.js",
    "sync/pos.js",
    "sync/pos-icon-192.png",
    "sync/pos-icon-512.png",
]
SW_TEMPLATE = "sync/pos-sw.js"
PAGE_TEMPLATE = "sync/pos.html"
PAYMENT_METHODS = ["cash", "wechat", "alipay", "card"]
CATALOGUE_PAGE = 1000  # items per /api/sync/catalogue request when the till fills its cache


def _texts() -> dict:
    """What pos.js shows, in the request's language (the page embeds it as JSON)."""
    return {
        "unknown_barcode": _("Unknown barcode %(code)s — not in this till's catalogue."),
        "no_match": _("No item matches “%(q)s”."),
        "added": _("%(name)s added."),
        "basket_empty": _("The basket is empty: scan or search an item."),
        "tendered_short": _("The cash tendered is less than the total."),
        "pending": _("%(n)s sales waiting to upload"),
        "pending_none": _("All sales uploaded"),
        "online": _("Online"),
        "offline": _("Offline"),
        "pending_upload": _("Pending upload"),
        "held": _("Waiting for a manager's review"),
        "review_accepted": _("Accepted by a manager: %(number)s"),
        "review_redated": _("Accepted by a manager, dated %(date)s: %(number)s"),
        "review_rejected": _("Rejected by a manager: %(reason)s"),
        "review_dated": _("dated %(date)s"),
        **{f"reason_{value}": str(label) for value, label in ReviewReason.choices},  # why a sale is held
        "refused": _("Refused by the server"),
        "catalogue_items": _("%(n)s items cached"),
        "catalogue_loading": _("Loading the catalogue…"),
        "catalogue_failed": _("The catalogue could not be loaded: %(error)s"),
        "catalogue_at": _("updated %(at)s"),
        "register_failed": _("Registration failed: %(error)s"),
        "offline_register": _("Registering needs the network: connect and try again."),
        "revoked": _("This device's token was refused (revoked?): register it again. Its sales are kept."),
        "sale_saved": _("Sale saved."),
        "qty_invalid": _("Enter a quantity greater than zero."),
        "method_cash": _("Cash"),
        "method_wechat": _("WeChat Pay"),
        "method_alipay": _("Alipay"),
        "method_card": _("Bank card"),
        "method_mixed": _("Mixed payment"),
        "mixed_invalid": _("Enter the part paid in cash: more than zero and less than the total."),
        "remove": _("Remove"),
        "confirm_new_device": _("Register this browser again? Sales still waiting to upload stay in the outbox."),
        "no_outbox": _("This browser cannot store sales offline (IndexedDB is unavailable)."),
        "sale_title": _("Sales receipt"),
        "return_title": _("Return receipt"),
        "return_nothing": _("Enter how many of at least one item come back."),
        "return_too_many": _("Only %(n)s of %(name)s can come back."),
        "return_saved": _("Return saved."),
        "no_sales": _("No sales on this till yet."),
        "left": _("at most %(n)s"),
        "basket_restored": _("The basket of the last visit is back (%(n)s lines)."),
        "basket_dropped": _("%(n)s lines of the saved basket are no longer in the catalogue and were left out."),
        "insecure": _("This address is not HTTPS: sales are still kept offline, but the page cannot be reopened "
                      "without the network. Use the server's https:// address."),
    }


def _asset_urls() -> list[str]:
    return [static(name) for name in ASSETS]


@require_GET
def pos_page(request):
    """The till. No sign-in: the device authenticates with its terminal token, kept in IndexedDB."""
    context = {
        "texts": _texts(),
        "methods": [(m, _texts()[f"method_{m}"]) for m in PAYMENT_METHODS],
        "config": {
            "api": "/api/sync/",
            "sw": reverse("web:pos_sw"),
            "scope": reverse("web:pos"),
            "methods": PAYMENT_METHODS,
            "catalogue_page": CATALOGUE_PAGE,
        },
        "home_url": reverse("web:home"),
    }
    response = render(request, PAGE_TEMPLATE, context)
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    """The web app manifest: the till installs as a standalone app whose scope is /pos/."""
    scope = reverse("web:pos")
    data = {
        "name": _("OpenJXC till"),
        "short_name": _("Till"),
        "description": _("Point of sale that keeps selling while the network is away."),
        "id": scope,
        "start_url": scope,
        "scope": scope,
        "display": "standalone",
        "orientation": "any",
        "background_color": "#f4f6f9",
        "theme_color": "#1f6feb",
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": static("sync/pos-icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("sync/pos-icon-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "any maskable"},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


def precache_version() -> str:
    """A digest of every file the till is made of: a new one whenever any of them changes."""
    digest = hashlib.sha256()
    for name in ASSETS:
        path = finders.find(name)
        digest.update(name.encode())
        if path:
            with open(path, "rb") as fh:
                digest.update(fh.read())
    for template in (PAGE_TEMPLATE, SW_TEMPLATE):
        with open(get_template(template).origin.name, "rb") as fh:
            digest.update(fh.read())
    return digest.hexdigest()[:16]


@never_cache
@require_GET
def service_worker(request):
    """/pos/sw.js: served from the scope it controls (/pos/), never cached by HTTP (the browser checks it)."""
    precache = [reverse("web:pos"), reverse("web:pos_manifest"), *_asset_urls()]
    config = {"version": precache_version(), "page": reverse("web:pos"), "precache": precache}
    body = get_template(SW_TEMPLATE).template.source.replace(
        "/*CONFIG*/{}", json.dumps(config, ensure_ascii=False))
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("web:pos")
    return response
