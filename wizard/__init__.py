from . import pr_ledger_adjust
from . import pr_tier_simulation
from . import pr_tier_simulation_line
from . import pr_replay_history
from . import pr_referral_invite
from . import pr_redeem
from . import pr_surprise_suggest
from . import base_partner_merge
