"""The demo company (示例商贸有限公司): master data and three months of business up to today, built only
through the services — builder.py replays the days; masterdata, purchasing, sales, stock, finance, order_states
and setup build their part."""

from .builder import DEFAULT_PASSWORD, DEFAULT_SEED, DEMO_CODE, DEMO_NAME, DemoResult, build_demo, demo_exists
from .catalogue import catalogue_size

__all__ = ["DEFAULT_PASSWORD", "DEFAULT_SEED", "DEMO_CODE", "DEMO_NAME", "DemoResult", "build_demo", "catalogue_size",
           "demo_exists"]
