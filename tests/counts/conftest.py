from tests.stock.conftest import wipeable_ledger  # noqa: F401  (tests that commit empty the ledger)
