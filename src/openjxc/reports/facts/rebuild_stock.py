"""The stock facts from the stock ledger: StockDay (every move's legs, grouped), StockMonth (StockDay by month),
and from StockDay the ageing facts (facts/ageing.py): ReceiptDay, StockNow, AgeLayer. The legs are legs.py's: the out leg at the stocked location a move leaves, the in leg at the
stocked location it reaches; a reversal's legs keep the original's direction, negative."""

from __future__ import annotations

from openjxc.reports.facts.ageing import MOVING_FLOWS, RECEIVED_FLOWS, flows_sql, write_layers
from openjxc.reports.facts.rebuild_sql import MOVES, STOCKED, fen, leg_flow, qty, run, summed

SUMS = ("qty_in", "qty_out", "value_in", "value_out")


def _leg(side: str, other: str, inbound: bool) -> str:
    """The leg of each move at its `side` location (f or t) when that is stocked."""
    q, v = qty("m.quantity"), fen("m.value")
    natural, reversed_ = ("qty_in", "value_in"), ("qty_out", "value_out")
    if not inbound:
        natural, reversed_ = reversed_, natural
    figures = {natural[0]: f"CASE WHEN m.reverses_id IS NULL THEN {q} ELSE 0 END",
               natural[1]: f"CASE WHEN m.reverses_id IS NULL THEN {v} ELSE 0 END",
               reversed_[0]: f"CASE WHEN m.reverses_id IS NULL THEN 0 ELSE -{q} END",
               reversed_[1]: f"CASE WHEN m.reverses_id IS NULL THEN 0 ELSE -{v} END"}
    return (f"SELECT m.business_on AS day, {side}.warehouse_id AS warehouse_id, m.item_id AS item_id, "
            f"COALESCE(m.lot_id, 0) AS lot_key, {leg_flow(other)} AS flow, "
            f"{', '.join(f'{figures[s]} AS {s}' for s in SUMS)} "
            f"{MOVES} WHERE m.company_id = %(c)s AND {side}.kind IN {STOCKED}")


def stock_days(values: dict) -> int:
    keys = "day, warehouse_id, item_id, lot_key, flow"
    return summed("reports_stockday", keys, SUMS,
                  f"({_leg('f', 't', False)} UNION ALL {_leg('t', 'f', True)}) AS legs", values)


def stock_months(values: dict) -> int:
    return summed("reports_stockmonth", "warehouse_id, item_id, flow", SUMS,
                  "reports_stockday WHERE company_id = %(c)s", values, by_month_of="day")


def receipt_days(values: dict) -> int:
    return summed("reports_receiptday", "warehouse_id, item_id, day", ("qty",),
                  f"(SELECT warehouse_id, item_id, day, qty_in AS qty FROM reports_stockday "
                  f"WHERE company_id = %(c)s AND flow IN {flows_sql(RECEIVED_FLOWS)}) AS r", values)


def stock_now(values: dict) -> int:
    """Every pair with a StockDay row: its balance and the last day a moving flow's row has a positive qty_out."""
    return run(f"INSERT INTO reports_stocknow (company_id, warehouse_id, item_id, qty, value, last_out) "
               f"SELECT %(c)s, warehouse_id, item_id, SUM(qty_in - qty_out), SUM(value_in - value_out), "
               f"MAX(CASE WHEN qty_out > 0 AND flow IN {flows_sql(MOVING_FLOWS)} THEN day END) "
               f"FROM reports_stockday WHERE company_id = %(c)s GROUP BY warehouse_id, item_id "
               f"ORDER BY warehouse_id, item_id", values)


def age_layers(values: dict) -> int:
    return write_layers(values["c"], None)
