"""OpenJXC: purchase-sales-inventory (进销存) for small and mid-size businesses."""

__version__ = "0.1.0"
