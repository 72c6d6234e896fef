"""Stock counts (盘点): plans, counting while operating, variance, accuracy."""
