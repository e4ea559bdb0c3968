from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import formatLang


class PrRewardRule(models.Model):
    """Turns a behaviour into outcomes, the same way for every customer who meets the conditions."""

    _name = "pr.reward.rule"
    _inherit = ["pr.segment.mixin"]
    _description = "Reward Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    behavior_id = fields.Many2one("pr.behavior", required=True, ondelete="restrict", index=True)
    company_id = fields.Many2one("res.company", help="Leave empty to apply the rule in every company.")
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    # Conditions
    partner_domain = fields.Char(string="Customers", default="[]", help="Only customers matching this filter.")
    tier_ids = fields.Many2many("pr.tier", string="Tiers", help="Only customers in these tiers; empty for all.")
    min_value = fields.Monetary(string="Minimum Value", help="Only behaviours worth at least this amount.")
    date_from = fields.Date(string="Valid From")
    date_to = fields.Date(string="Valid Until")
    experiment_variant_id = fields.Many2one(
        "pr.experiment.variant",
        string="Experiment Group",
        index="btree_not_null",
        ondelete="restrict",
        domain="[('is_control', '=', False), ('experiment_id.state', '!=', 'done')]",
        help="This rule only applies to customers assigned to this group of a running experiment.",
    )
    # Limits
    once_per_customer = fields.Boolean(help="A customer gets this reward only once.")
    max_per_period = fields.Integer(string="At Most", help="Rewards per customer per period; 0 for no limit.")
    period = fields.Selection([("week", "Week"), ("month", "Month"), ("year", "Year")], default="month", required=True)
    monthly_budget = fields.Integer(
        help="Points this rule may grant per calendar month, all customers together; 0 for no limit."
    )
    # Outcomes
    points_mode = fields.Selection(
        [("fixed", "Fixed points"), ("per_currency", "Points per currency unit of the value")],
        default="fixed",
        required=True,
    )
    points = fields.Integer(default=10)
    rate = fields.Float(
        string="Points per Currency Unit",
        digits=(16, 4),
        help="Leave 0 to use the company's setting.",
    )
    refund_policy = fields.Selection(
        [("proportional", "In proportion"), ("full_refund", "Only when fully refunded")],
        string="On Refund",
        compute="_compute_refund_policy",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        help="What a credit note on the order takes back of the points this rule granted for it. In proportion: "
        "the share of the order refunded, counting its earlier credit notes (the default for points per currency "
        "unit). Only when fully refunded: all of them, once the order's credit notes reach its whole untaxed "
        "amount (the default for fixed points, such as a first-purchase bonus). Never twice, never more than was "
        "granted.",
    )
    apply_multiplier = fields.Boolean(
        default=True,
        help="Multiply the points by the customer's tier multiplier and by the multiplier of a personal offer running.",
    )
    release = fields.Selection(
        [("immediate", "Available at once"), ("policy", "Pending, per the company's release policy")],
        default="immediate",
        required=True,
        help="Pending points wait for the invoice to be paid, or for the return window to end, as set in Settings.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Thank-you Email",
        domain="[('model', '=', 'pr.event')]",
    )
    activity_type_id = fields.Many2one("mail.activity.type", string="Activity for the Salesperson")
    activity_summary = fields.Char(translate=True)
    activity_note = fields.Html(translate=True)
    personal_touch = fields.Selection(
        [("none", "None"), ("note", "Handwritten thank-you note"), ("gift", "Surprise gift")],
        default="none",
        required=True,
        help="Asks the account manager, as an activity, to write a note or to send a gift (a proposal a manager "
        "approves within the monthly budget).",
    )
    personal_message = fields.Text(string="Suggested Message", translate=True)
    gift_name = fields.Char(string="Gift", translate=True)
    gift_value = fields.Monetary()
    decision_ids = fields.One2many("pr.event.decision", "rule_id")
    grants = fields.Char(
        compute="_compute_grants",
        help="The points the rule grants, before the tier and offer multipliers: fixed points, or points per currency "
        "unit of the behaviour's value at the rule's rate or, when it has none, the company's.",
    )
    granted_count = fields.Integer(compute="_compute_usage")
    budget_used = fields.Integer(string="Points This Month", compute="_compute_usage")

    _points_positive = models.Constraint("CHECK(points >= 0)", "Points cannot be negative.")
    _rate_positive = models.Constraint("CHECK(rate >= 0)", "The rate cannot be negative.")
    _limits_positive = models.Constraint(
        "CHECK(max_per_period >= 0 AND monthly_budget >= 0)", "Limits and budgets cannot be negative."
    )
    _min_value_positive = models.Constraint(
        "CHECK(min_value IS NULL OR min_value >= 0)", "The minimum value cannot be negative."
    )
    _gift_value_positive = models.Constraint(
        "CHECK(gift_value IS NULL OR gift_value >= 0)", "The gift's value cannot be negative."
    )

    @api.depends("company_id")
    def _compute_currency_id(self):
        for rule in self:
            rule.currency_id = (rule.company_id or self.env.company).currency_id

    @api.depends("points_mode", "points", "rate", "currency_id", "company_id.pr_points_per_currency")
    @api.depends_context("company", "lang")
    def _compute_grants(self):
        for rule in self:
            if rule.points_mode == "fixed":
                rule.grants = (
                    self.env._("1 point") if rule.points == 1 else self.env._("%(points)s points", points=rule.points)
                )
                continue
            rate = rule.rate or (rule.company_id or self.env.company).pr_points_per_currency
            digits = next(digits for digits in range(5) if round(rate, digits) == round(rate, 4))
            values = {"rate": formatLang(self.env, rate, digits=digits), "currency": rule.currency_id.name}
            if rule.rate:
                text = self.env._("1 point per %(currency)s", **values) if rate == 1 else None
                rule.grants = text or self.env._("%(rate)s points per %(currency)s", **values)
            else:
                text = self.env._("1 point per %(currency)s (company rate)", **values) if rate == 1 else None
                rule.grants = text or self.env._("%(rate)s points per %(currency)s (company rate)", **values)

    @api.depends("points_mode")
    def _compute_refund_policy(self):
        for rule in self:
            rule.refund_policy = "proportional" if rule.points_mode == "per_currency" else "full_refund"

    def _compute_usage(self):
        Decision = self.env["pr.event.decision"]
        granted = dict(
            Decision._read_group([("rule_id", "in", self.ids), ("outcome", "=", "granted")], ["rule_id"], ["__count"])
        )
        # This month is the company's, in its time zone (a rule for every company: the current one's).
        used = {}
        for company in self.company_id | self.env.company:
            rules = self.filtered(lambda rule, company=company: (rule.company_id or self.env.company) == company)
            if not rules:
                continue
            month_start = company._pr_day_start(company._pr_today().replace(day=1))
            used.update(
                Decision._read_group(
                    [("rule_id", "in", rules.ids), ("outcome", "=", "granted"), ("date", ">=", month_start)],
                    ["rule_id"],
                    ["points:sum"],
                )
            )
        for rule in self:
            rule.granted_count = granted.get(rule, 0)
            rule.budget_used = used.get(rule, 0)

    @api.constrains("experiment_variant_id")
    def _check_experiment_variant(self):
        self.experiment_variant_id._check_control_gets_nothing()

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for rule in self:
            if rule.date_from and rule.date_to and rule.date_from > rule.date_to:
                raise ValidationError(self.env._("The rule %(rule)s ends before it starts.", rule=rule.name))

    def action_view_decisions(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Decisions"),
            "res_model": "pr.event.decision",
            "view_mode": "list,pivot",
            "domain": [("rule_id", "=", self.id)],
        }
