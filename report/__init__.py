from . import pr_referral_report
