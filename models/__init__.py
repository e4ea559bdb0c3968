from . import res_company
from . import res_config_settings
from . import pr_tier
from . import pr_member
from . import pr_ledger_entry
from . import pr_tier_history
from . import res_partner
