from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    pr_expiry_reminder_days = fields.Integer(
        string="Expiry Reminder (days)",
        default=30,
        help="Customers are emailed this many days before their points expire, once per expiry date. 0: never.",
    )
    pr_tier_upgrade_email = fields.Boolean(
        string="Congratulate Tier Upgrades",
        default=True,
        help="Customers who reach a higher tier are emailed its benefits, once per upgrade.",
    )
    pr_tier_reminder_days = fields.Integer(
        string="Tier Review Reminder (days)",
        default=30,
        help="This many days before their tier review, customers below their tier's threshold are emailed how "
        "many points keep it. 0: never.",
    )

    _pr_expiry_reminder_days_positive = models.Constraint(
        "CHECK(pr_expiry_reminder_days >= 0)", "The expiry reminder days cannot be negative."
    )
    _pr_tier_reminder_days_positive = models.Constraint(
        "CHECK(pr_tier_reminder_days >= 0)", "The tier review reminder days cannot be negative."
    )
