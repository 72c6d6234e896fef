"""The facts reports read: daily additive tables kept by the change-feed consumer (reports/facts/).

Every figure is an integer in a fixed scale: quantities in 1/10,000 of the base unit (`QTY_SCALE`), money in
fen (`MONEY_SCALE`). Sums are then exact on both engines (SQLite keeps NUMERIC as floating point) and cheap.
Rows are deltas keyed by the business date: a back-dated posting adds to its own day, a void subtracts on the
day of the void, exactly as the ledgers do. Nothing here is edited by hand; `jxc rebuild-facts` recomputes it all
from the ledgers and `jxc check-facts` proves it equals them.

Dimension columns are plain ids (no database foreign keys: the facts never hold a lock on master data and a
fact insert checks nothing); 0 stands for "none" (no lot, no customer, no salesperson).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from openjxc.core.models import Company

QTY_SCALE = 10_000
MONEY_SCALE = 100


def _id(**kw):
    return models.BigIntegerField(default=0, **kw)


def _sum():
    return models.BigIntegerField(default=0)


class Flow(models.IntegerChoices):
    """What moved stock in or out of a warehouse, from the counterpart location of the move."""

    PURCHASE = 1, "purchase"  # in: receipts; out: returns to the supplier
    SALE = 2, "sale"  # out: deliveries; in: customer returns
    TRANSFER = 3, "transfer"  # to / from in-transit or another warehouse
    PRODUCTION = 4, "production"  # issues to and receipts from production
    COUNT = 5, "count"  # count differences (盘点)
    GAIN = 6, "gain"  # stock gains (报溢)
    WRITE_OFF = 7, "write_off"  # write-offs (报损)
    OPENING = 8, "opening"
    OTHER = 9, "other"
    ADJUSTMENT = 10, "adjustment"  # cost-only moves (quantity 0): revaluations, re-costing
    INTERNAL = 11, "internal"  # between two locations of the same warehouse (nets to zero)


class Channel(models.IntegerChoices):
    ORDER = 1, "order"  # a document entered in the back office or through the API
    TILL = 2, "till"  # a sale at a POS till (terminal or browser till)
    TERMINAL = 3, "terminal"  # another kind of terminal


class Book(models.IntegerChoices):
    RECEIVABLE = 1, "receivable"
    PAYABLE = 2, "payable"


class FactCursor(models.Model):
    """Where the facts consumer of one company is in the change feed; written in the same transaction as the facts.

    `skip`: events above the cursor that the facts already include (a rebuild saw their transactions commit
    before it read the ledgers); they are passed over once and dropped when the cursor passes them.
    `closed_through`: the last month (its first day) whose month-end checkpoints (StockClose) are written.
    """

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    cursor = models.CharField(max_length=64, default="0-0")
    skip = models.JSONField(default=list, blank=True)
    closed_through = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    events = models.BigIntegerField(default=0)  # events read since the last rebuild
    built_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)


class KpiSnapshot(models.Model):
    """A slow stock-health KPI (周转天数, 动销率, 呆滞率 …) as the worker last computed it for the cockpit
    (reports/cockpit_snapshots.py): the cockpit page reads it instead of scanning the stock facts, on every app
    server. `key` names the KPI, breakdown, period and warehouse scope; `result` is the KpiResult's rows."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    result = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)  # how long computing it took (the cost a render no longer pays)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "key"], name="reports_kpisnapshot_key")]


class StockFlows(models.Model):
    """What StockDay and StockMonth share: warehouse, item, flow and the in / out sums."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    warehouse_id = _id()
    item_id = _id()
    flow = models.SmallIntegerField(choices=Flow.choices)
    qty_in = _sum()
    qty_out = _sum()
    value_in = _sum()
    value_out = _sum()

    class Meta:
        abstract = True


class StockDay(StockFlows):
    """In and out of one item (lot) at one warehouse on one day, per flow."""

    day = models.DateField()
    lot_key = _id()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "day", "warehouse_id", "item_id", "lot_key", "flow"],
                                               name="stockday_key")]


class StockMonth(StockFlows):
    """StockDay summed by month (first day of the month), without lots: what period reports over months read."""

    month = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "month", "warehouse_id", "item_id", "flow"],
                                               name="stockmonth_key")]


class StockClose(models.Model):
    """Month-end checkpoint of one item (lot) at one warehouse: closing quantity and value, and the sums over the
    month's days of the daily closing quantity and value (`*_days`, for the average stock of a period).

    Written for every month up to FactCursor.closed_through; a key without a row had nothing that month."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    month = models.DateField()
    warehouse_id = _id()
    item_id = _id()
    lot_key = _id()
    qty = _sum()
    value = _sum()
    qty_days = _sum()
    value_days = _sum()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "month", "warehouse_id", "item_id", "lot_key"],
                                               name="stockclose_key")]


class ReceiptDay(models.Model):
    """What one warehouse received of one item on one day (lots summed): qty_in of StockDay's received flows —
    what ageing's FIFO layers are made of. Pair first, day last: a pair's receipts newest first are one index
    range (decision 0023)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    warehouse_id = _id()
    item_id = _id()
    day = models.DateField()
    qty = _sum()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "warehouse_id", "item_id", "day"],
                                               name="receiptday_key")]


class StockNow(models.Model):
    """One item's stock at one warehouse after every stock fact (StockDay summed over all days and lots), and
    `last_out`: the last day with a StockDay row of a moving flow whose qty_out is positive (decision 0023)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    warehouse_id = _id()
    item_id = _id()
    qty = _sum()
    value = _sum()
    last_out = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "warehouse_id", "item_id"],
                                               name="stocknow_key")]


class AgeLayer(models.Model):
    """The FIFO receipt layers of the stock in StockNow (qty > 0): the ReceiptDay rows, newest first, that cover
    it, the oldest cut to what is left; `day` NULL for the part no receipt covers (oldest). Not a delta table: the
    consumer recomputes the layers of every pair its batch touched (decision 0023)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    warehouse_id = _id()
    item_id = _id()
    day = models.DateField(null=True, blank=True)
    qty = _sum()

    class Meta:
        indexes = [models.Index(fields=["company", "warehouse_id", "item_id", "day"], name="agelayer_pair")]


class MoveCountDay(models.Model):
    """How many moves entered (`moves_in`) and left (`moves_out`) one location on one business day: the home
    page's chart reads 30 days of these instead of ~400,000 moves at 10 M (issue 15, decision 0018).

    Not a delta table: each row is the count itself. The consumer recounts every day its batch touched from the
    moves (reports/facts/movecounts.py), so a row is exact as of its recount; the home page counts the moves of
    days with events the consumer has not read yet."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    day = models.DateField()
    location_id = _id()
    moves_in = _sum()
    moves_out = _sum()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "day", "location_id"], name="movecountday_key")]


class SalesSums(models.Model):
    """The sums every sales fact table keeps (SalesDay, SalesMonth and the narrow monthly roll-ups)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    qty = _sum()
    revenue = _sum()
    tax = _sum()
    discount = _sum()
    cogs = _sum()
    return_qty = _sum()
    return_revenue = _sum()
    return_tax = _sum()
    return_cost = _sum()

    class Meta:
        abstract = True


class SalesFigures(SalesSums):
    """What SalesDay and SalesMonth share: the keys but the date, and the sums."""

    warehouse_id = _id()
    item_id = _id()
    customer_id = _id()
    salesperson_id = _id()
    channel = models.SmallIntegerField(choices=Channel.choices)

    class Meta:
        abstract = True


class SalesDay(SalesFigures):
    """Sales lines of one day by item, customer, salesperson, warehouse and channel; returns on their own columns.

    revenue, discount: excluding VAT. cogs: value of the moves to customers; return_cost: value of the customer
    returns (at the cost they came back at). Voids subtract on the day of the void."""

    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["company", "day", "warehouse_id", "item_id", "customer_id", "salesperson_id", "channel"],
            name="salesday_key")]
        # the slow-mover rule's read (reports/facts/sales_weeks.py): 42 days of net quantities by item and
        # warehouse from the index alone (decision 0028; at 10 M moves the planner read the whole table instead)
        indexes = [models.Index(fields=["company", "day", "item_id", "warehouse_id", "qty", "return_qty"],
                                name="salesday_day_item_qty")]


class SalesMonth(SalesFigures):
    """SalesDay summed by month (first day of the month)."""

    month = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["company", "month", "warehouse_id", "item_id", "customer_id", "salesperson_id", "channel"],
            name="salesmonth_key")]


class SalesItemMonth(SalesSums):
    """SalesDay summed by month, warehouse and item (no customer, salesperson or channel): what item and category
    reports over whole months read (decision 0024)."""

    month = models.DateField()
    warehouse_id = _id()
    item_id = _id()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "month", "warehouse_id", "item_id"],
                                               name="salesitemmonth_key")]


class SalesCategoryMonth(SalesSums):
    """SalesDay summed by month, warehouse, customer and the item's category (0: none), the category being the one
    SalesCategoryItem records for the item: what category × customer / region reports over whole months read."""

    month = models.DateField()
    warehouse_id = _id()
    customer_id = _id()
    category_id = _id()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "month", "warehouse_id", "customer_id",
                                                       "category_id"], name="salescategorymonth_key")]


class SalesCategoryItem(models.Model):
    """The category (0: none) an item's sales are summed under in SalesCategoryMonth. When the item's current
    category differs, readers leave SalesCategoryMonth alone until the consumer has moved the item's sums to the
    new category and updated this row (reports/facts/rollups.py)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    item_id = models.BigIntegerField()
    category_id = _id()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "item_id"], name="salescategoryitem_key")]


class SalesTicketDay(models.Model):
    """Sales documents (tickets, 客流) and return documents of one day; a void subtracts one."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    day = models.DateField()
    warehouse_id = _id()
    customer_id = _id()
    salesperson_id = _id()
    channel = models.SmallIntegerField(choices=Channel.choices)
    tickets = _sum()
    returns = _sum()

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["company", "day", "warehouse_id", "customer_id", "salesperson_id", "channel"],
            name="salesticketday_key")]


class PurchaseDay(models.Model):
    """Purchase receipt lines of one day by item, supplier and warehouse (amounts excluding VAT); returns apart."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    day = models.DateField()
    warehouse_id = _id()
    item_id = _id()
    supplier_id = _id()
    qty = _sum()
    amount = _sum()
    tax = _sum()
    return_qty = _sum()
    return_amount = _sum()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "day", "warehouse_id", "item_id", "supplier_id"],
                                               name="purchaseday_key")]


class PurchaseLine(models.Model):
    """One confirmed purchase order line, for the on-time rate: promised date, ordered quantity, and the day the
    order was closed short, cancelled or voided (it then leaves the denominator of later promised dates)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    line_id = models.BigIntegerField(unique=True)
    order_id = _id()
    warehouse_id = _id()
    item_id = _id()
    supplier_id = _id()
    promised_on = models.DateField(null=True, blank=True)
    ordered = _sum()
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["company", "promised_on"], name="purchaseline_promised")]


class PurchaseLineReceipt(models.Model):
    """Quantity received against one purchase order line on one day (receipts − returns; voids subtract)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    line_id = models.BigIntegerField()
    day = models.DateField()
    qty = _sum()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "line_id", "day"], name="purchaselinereceipt_key")]


class PartnerDay(models.Model):
    """The partner ledger (应收 / 应付) of one day by partner and due date.

    debit: documents owed (deliveries, receipts or bills); credit: returns; settled: money received or paid;
    applied: credits and money applied to documents falling due on `due_on`. Balance = debit − credit − settled;
    open on documents due on a day = debit − applied of that due date."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    day = models.DateField()
    book = models.SmallIntegerField(choices=Book.choices)
    partner_id = _id()
    due_on = models.DateField()
    debit = _sum()
    credit = _sum()
    settled = _sum()
    applied = _sum()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "book", "day", "partner_id", "due_on"],
                                               name="partnerday_key")]


class PartnerRowSeen(models.Model):
    """A partner-ledger row (entry or allocation) already in PartnerDay: each is added exactly once."""

    ENTRY, ALLOCATION = 1, 2
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)
    kind = models.SmallIntegerField()
    row_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "row_id"], name="partnerrowseen_key")]


class SavedView(models.Model):
    """A report layout a person saved under a name (a pivot's dimensions, measures, period, filters), theirs only."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    page = models.CharField(max_length=32)
    name = models.CharField(_("name"), max_length=80)
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "page", "name"], name="savedview_key")]
        ordering = ["name"]


class ReportKind(models.TextChoices):
    WEEK = "week", _("Weekly report (Monday 08:00)")
    MONTH = "month", _("Monthly report (1st, 08:00)")


class ReportSubscription(models.Model):
    """A person's standing order for the weekly or monthly report, delivered through a notification channel (an
    email channel: to their own address; a WeCom, DingTalk or Feishu robot: to its group)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("report"), max_length=8, choices=ReportKind.choices)
    channel = models.ForeignKey("alerts.Channel", on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("delivery"))
    is_active = models.BooleanField(_("active"), default=True)  # paused when False
    created_at = models.DateTimeField()
    # when it was last resumed: a period whose sending time fell before (while it was paused) is never sent
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "channel"], name="reportsubscription_key")]
        ordering = ["kind", "id"]


class ReportDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Retrying")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ReportDelivery(models.Model):
    """One period's report for one subscription: created once (the unique key makes the schedule idempotent),
    claimed by one sender at a time, retried with the channels' back-off."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(ReportSubscription, on_delete=models.CASCADE, related_name="deliveries")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=ReportDeliveryStatus.choices,
                              default=ReportDeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response = models.TextField(blank=True)
    steps = models.JSONField(default=list, blank=True)  # the parts already delivered (a WeCom summary, its file)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "period_start"], name="reportdelivery_key")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]


class ReportChannelCall(models.Model):
    """One message of a report delivery sent to a channel's platform: counted with the alerts' delivery attempts
    against the channel's rate limit (alerts.delivery.throttled_until, OTHER_CALLS)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey("alerts.Channel", on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(ReportDelivery, on_delete=models.CASCADE, related_name="calls")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["channel", "at"])]
