def migrate(cr, version):
    """The referral minimum order had no default: any order, however small, qualified a referral.

    Companies still without a minimum get the new default, in their own currency.
    """
    if not version:
        return
    cr.execute("UPDATE res_company SET pr_referral_min_amount = 50.0 WHERE COALESCE(pr_referral_min_amount, 0) = 0")
