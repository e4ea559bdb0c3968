from . import pr_referral_report
from . import pr_reward_report
