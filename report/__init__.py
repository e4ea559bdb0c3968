from . import pr_referral_report
from . import pr_reward_report
from . import pr_reward_cost_report
from . import pr_points_liability_report
from . import pr_leaderboard
