"""The calendar behind dim_date: Gregorian, ISO week, 星期, and the Chinese lunar calendar (农历 year, month, day,
干支, 生肖, traditional festivals, 节气) from lunar-python, a well-kept library of the Chinese calendar."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from openjxc.bi.models import DateDim

WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
DEFAULT_FIRST_YEAR = 2015
YEARS_AHEAD = 5  # filled through the end of this many years after the current one


def date_row(day: dt.date) -> DateDim:
    """One day of the calendar, worked out (no database)."""
    from lunar_python import Solar  # here: only the BI calendar's fill needs it

    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    iso = day.isocalendar()
    quarter = (day.month - 1) // 3 + 1
    month = lunar.getMonth()
    return DateDim(
        day=day, year=day.year, quarter=quarter, month=day.month, day_of_month=day.day, iso_year=iso.year,
        iso_week=iso.week, weekday=iso.weekday, weekday_zh=WEEKDAYS_ZH[iso.weekday - 1], is_weekend=iso.weekday >= 6,
        year_month=f"{day.year}-{day.month:02d}", month_zh=f"{day.year}年{day.month}月",
        quarter_zh=f"{day.year}年第{quarter}季度", lunar_year=lunar.getYear(), lunar_month=abs(month),
        lunar_day=lunar.getDay(), is_leap_month=month < 0, lunar_year_zh=lunar.getYearInGanZhi(),
        zodiac_zh=lunar.getYearShengXiao(), lunar_month_zh=f"{lunar.getMonthInChinese()}月",
        lunar_day_zh=lunar.getDayInChinese(), festival_zh="、".join(lunar.getFestivals())[:32],
        solar_term_zh=lunar.getJieQi() or "",
    )


def default_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or dt.date.today()
    return dt.date(DEFAULT_FIRST_YEAR, 1, 1), dt.date(today.year + YEARS_AHEAD, 12, 31)


@transaction.atomic
def fill_dates(start: dt.date, end: dt.date) -> int:
    """Add the days of [start, end] the calendar table lacks (idempotent); how many were added."""
    have = set(DateDim.objects.filter(day__gte=start, day__lte=end).values_list("day", flat=True))
    rows = []
    day = start
    while day <= end:
        if day not in have:
            rows.append(date_row(day))
        day += dt.timedelta(days=1)
    DateDim.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def ensure_dates() -> None:
    """Fill the default range once (a first read of dim_date on a new install)."""
    if not DateDim.objects.exists():
        fill_dates(*default_range())
