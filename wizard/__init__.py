from . import pr_ledger_adjust
from . import pr_tier_simulation
