"""The one table of its own the BI layer has: the calendar (dim_date), the same for every company.

It is a table, not a computed view, so that it reads the same on SQLite and PostgreSQL and carries the Chinese
calendar (农历, festivals, 节气) worked out once by `bi/dates.py` (`jxc bi-schema` fills a range of years)."""

from __future__ import annotations

from django.db import models


class DateDim(models.Model):
    day = models.DateField(primary_key=True)
    year = models.SmallIntegerField()
    quarter = models.SmallIntegerField()
    month = models.SmallIntegerField()
    day_of_month = models.SmallIntegerField()
    iso_year = models.SmallIntegerField()
    iso_week = models.SmallIntegerField()
    weekday = models.SmallIntegerField()  # 1 = Monday … 7 = Sunday (ISO)
    weekday_zh = models.CharField(max_length=8)
    is_weekend = models.BooleanField()
    year_month = models.CharField(max_length=7)  # 2026-03
    month_zh = models.CharField(max_length=16)  # 2026年3月
    quarter_zh = models.CharField(max_length=16)  # 2026年第1季度
    lunar_year = models.SmallIntegerField()
    lunar_month = models.SmallIntegerField()  # 1 … 12; a leap month has is_leap_month
    lunar_day = models.SmallIntegerField()
    is_leap_month = models.BooleanField()
    lunar_year_zh = models.CharField(max_length=8)  # 干支: 丙午
    zodiac_zh = models.CharField(max_length=4)  # 生肖: 马
    lunar_month_zh = models.CharField(max_length=8)  # 正月, 闰四月
    lunar_day_zh = models.CharField(max_length=8)  # 初一
    festival_zh = models.CharField(max_length=32, blank=True)  # 春节, 端午节 …; empty on other days
    solar_term_zh = models.CharField(max_length=8, blank=True)  # 节气: 清明 …; empty on other days
