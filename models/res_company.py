from odoo import api, fields, models
from odoo.tools import SQL


class ResCompany(models.Model):
    _inherit = "res.company"

    pr_points_validity_months = fields.Integer(
        string="Points Validity (months)",
        default=12,
        help="Points expire this many months after they were earned, first earned first out. 0 keeps them forever.",
    )
    pr_pending_days = fields.Integer(
        string="Pending Days",
        default=0,
        help="Earned points stay pending this many days (a return window) before they can be spent.",
    )
    pr_points_per_currency = fields.Float(
        string="Points per Currency Unit",
        default=1.0,
        digits=(16, 4),
        help="Points earned for each unit of the company currency spent, before the tier multiplier.",
    )
    pr_tier_window_months = fields.Integer(
        string="Tier Window (months)",
        default=12,
        help="A customer's tier follows from the points earned over this rolling window.",
    )
    pr_tier_grace_days = fields.Integer(
        string="Tier Grace Period (days)",
        default=30,
        help="After a review date, a customer who no longer qualifies keeps the tier this many days longer.",
    )
    pr_wallet_mode = fields.Selection(
        [("commercial", "Commercial entity"), ("contact", "Each contact")],
        string="Points Holder",
        default="commercial",
        required=True,
        help="Commercial entity: a company and its contacts share one balance (B2B). "
        "Each contact: every contact has its own balance (B2C).",
    )

    pr_release_on = fields.Selection(
        [("payment", "When the invoice is paid"), ("return_window", "When the return window ends")],
        string="Release Purchase Points",
        default="payment",
        required=True,
        help="When points earned on an order become available, for rules that follow the release policy.",
    )

    pr_referral_qualify_on = fields.Selection(
        [("confirmed", "Order confirmed"), ("paid", "Order paid")],
        string="Referral Qualifies When",
        default="confirmed",
        required=True,
    )
    pr_referral_min_amount = fields.Monetary(
        string="Referral Minimum Order",
        currency_field="currency_id",
        help="The friend's first order must reach this untaxed amount.",
    )
    pr_referral_days = fields.Integer(
        string="Referral Qualifying Days", default=90, help="The friend must buy within this many days of the referral."
    )
    pr_referral_cap = fields.Integer(
        string="Referrals per Month",
        default=10,
        help="Qualified referrals of one referrer per month before the next ones wait for a review; 0 for no cap.",
    )
    pr_referral_signup_limit = fields.Integer(
        string="Signups per Network per Hour",
        default=5,
        help="More signups than this from one network address within an hour wait for a review.",
    )
    pr_referral_ip_retention_days = fields.Integer(
        string="Keep Network Hashes (days)",
        default=30,
        help="Hashed network addresses of signups are erased after this many days.",
    )
    pr_referral_invite_limit = fields.Integer(
        string="Invitations per Day", default=20, help="Invitations one customer can send per day."
    )
    pr_referral_coupon_program_id = fields.Many2one(
        "loyalty.program",
        string="Friend's Welcome Coupon",
        domain="[('program_type', 'in', ('coupons', 'promotion', 'next_order_coupons'))]",
        help="Coupon program whose coupon a referred friend receives when the referral qualifies.",
    )

    _pr_points_validity_months_positive = models.Constraint(
        "CHECK(pr_points_validity_months >= 0)", "The points validity cannot be negative."
    )
    _pr_pending_days_positive = models.Constraint("CHECK(pr_pending_days >= 0)", "Pending days cannot be negative.")
    _pr_points_per_currency_positive = models.Constraint(
        "CHECK(pr_points_per_currency >= 0)", "Points per currency unit cannot be negative."
    )
    _pr_tier_window_months_positive = models.Constraint(
        "CHECK(pr_tier_window_months > 0)", "The tier window must be at least one month."
    )
    _pr_tier_grace_days_positive = models.Constraint(
        "CHECK(pr_tier_grace_days >= 0)", "The grace period cannot be negative."
    )
    pr_point_value = fields.Monetary(
        string="Value of a Point",
        currency_field="currency_id",
        default=0.01,
        help="What one point costs the business when spent: values the points liability.",
    )
    pr_surprise_budget = fields.Monetary(
        string="Monthly Surprise-Gift Budget",
        currency_field="currency_id",
        help="What approved surprise gifts may cost per month, all together. 0 for no limit.",
    )

    pr_nps_survey_id = fields.Many2one(
        "survey.survey",
        string="NPS Survey",
        default=lambda self: self.env.ref("positive_reinforcement.pr_survey_nps", raise_if_not_found=False),
        help="Survey customers are invited to after their purchases. Empty: no invitation is sent.",
    )
    pr_nps_delay_days = fields.Integer(
        string="NPS Invitation Delay (days)",
        default=7,
        help="Customers are invited this many days after their order is confirmed.",
    )
    pr_nps_period_days = fields.Integer(
        string="NPS Invitation Period (days)",
        default=90,
        help="A customer is invited at most once in this many days.",
    )
    pr_feedback_user_id = fields.Many2one(
        "res.users",
        string="Feedback Follow-up By",
        domain="[('share', '=', False)]",
        help="Who follows up the negative feedback of customers without a salesperson.",
    )

    _pr_nps_delay_days_positive = models.Constraint(
        "CHECK(pr_nps_delay_days >= 0)", "The NPS invitation delay cannot be negative."
    )
    _pr_nps_period_days_positive = models.Constraint(
        "CHECK(pr_nps_period_days > 0)", "The NPS invitation period must be at least one day."
    )

    @api.model
    def _pr_init_nps_survey(self):
        """At install: the shipped NPS survey for the companies that existed before it."""
        self.search([("pr_nps_survey_id", "=", False)]).pr_nps_survey_id = self.env.ref(
            "positive_reinforcement.pr_survey_nps"
        )

    def _pr_surprise_budget_left(self):
        """This month's surprise-gift budget minus the gifts approved or sent this month."""
        self.ensure_one()
        month_start = fields.Date.context_today(self).replace(day=1)
        spent = (
            self.env["pr.surprise.gift"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", self.id),
                    ("state", "in", ("approved", "sent")),
                    ("date_approved", ">=", month_start),
                ],
                [],
                ["value:sum"],
            )[0][0]
        )
        return max(self.pr_surprise_budget - spent, 0.0)

    def _pr_holder_sql(self, partner_alias):
        """SQL for the points holder of the partner ``partner_alias`` in this company (see res.partner._pr_holder)."""
        self.ensure_one()
        column = "id" if self.pr_wallet_mode == "contact" else "commercial_partner_id"
        return SQL("%s.%s", SQL.identifier(partner_alias), SQL.identifier(column))


def pr_holder_by_row_sql(partner_alias="p", company_alias="c"):
    """SQL for the points holder of ``partner_alias`` when the company ``company_alias`` varies by row."""
    partner, company = SQL.identifier(partner_alias), SQL.identifier(company_alias)
    return SQL(
        "CASE WHEN %s.pr_wallet_mode = 'contact' THEN %s.id ELSE %s.commercial_partner_id END",
        company,
        partner,
        partner,
    )
