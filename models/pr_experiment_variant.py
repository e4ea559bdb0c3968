from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount, formatLang

from .pr_experiment import ASSIGNMENT_FIELDS


class PrExperimentVariant(models.Model):
    """One group of an experiment: the incentives it gets, its share of the customers, and its results."""

    _name = "pr.experiment.variant"
    _description = "Experiment Group"
    _order = "experiment_id, is_control desc, id"

    name = fields.Char(required=True)
    experiment_id = fields.Many2one("pr.experiment", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="experiment_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="experiment_id.currency_id")
    weight = fields.Integer(
        default=1,
        required=True,
        help="The group's share of the customers, against the other groups' weights: 1 and 1 split half and half, "
        "1 and 9 put a tenth in the first group.",
    )
    is_control = fields.Boolean(
        string="Holdout",
        help="The holdout gets none of the experiment's incentives: it shows what customers do without them, and "
        "each group is compared with it.",
    )
    rule_ids = fields.One2many(
        "pr.reward.rule", "experiment_variant_id", string="Reward Rules", help="Rules only this group gets."
    )
    campaign_ids = fields.One2many(
        "pr.offer.campaign", "experiment_variant_id", string="Offer Campaigns", help="Offers only this group gets."
    )
    # Results
    customer_count = fields.Integer(string="Customers", compute="_compute_results")
    conversion_count = fields.Integer(
        string="Conversions",
        compute="_compute_results",
        help="Customers of the group who showed the behaviour within the window after joining.",
    )
    conversion_rate_display = fields.Char(
        string="Conversion Rate", compute="_compute_results", help="Conversions out of the group's customers."
    )
    revenue_per_customer_display = fields.Char(
        string="Revenue per Customer",
        compute="_compute_results",
        help="Untaxed confirmed orders of the group's customers within their window, divided by all its customers.",
    )
    lift_display = fields.Char(
        string="Lift",
        compute="_compute_results",
        help="How much higher the group's conversion rate is than the holdout's: +20% turns 10% into 12%.",
    )
    z_display = fields.Char(
        string="z",
        compute="_compute_results",
        help="The difference with the holdout measured in standard errors: beyond 1.96 (or below -1.96) it is "
        "unlikely to be chance, once the planned duration is over.",
    )
    p_value_display = fields.Char(
        string="p-value",
        compute="_compute_results",
        help="The chance of seeing a difference at least this large if the incentive changed nothing. Below 0.05 "
        "is the usual bar.",
    )
    prob_beats_control_display = fields.Char(
        string="Chance to Beat Holdout",
        compute="_compute_results",
        help="Given the data, the probability that the group's true conversion rate is above the holdout's "
        "(Bayesian, starting from no opinion). Not given while nobody (or everybody) converted in both: the data "
        "cannot tell them apart yet.",
    )
    result_warning = fields.Char(
        string="Read With Care", compute="_compute_results", help="Why the numbers cannot be trusted yet, if so."
    )

    _weight_positive = models.Constraint("CHECK(weight > 0)", "The weight of a group must be above zero.")

    @api.depends("experiment_id.name")
    def _compute_display_name(self):
        for variant in self:
            variant.display_name = f"{variant.experiment_id.name or ''} / {variant.name or ''}"

    @api.depends("experiment_id.state", "experiment_id.date_start", "weight", "is_control")
    @api.depends_context("lang")
    def _compute_results(self):
        results = self.experiment_id._get_results()
        na = self.env._("n/a")
        for variant in self:
            result = results.get(variant._origin.id or variant.id) or {}
            compared = not variant.is_control
            variant.customer_count = result.get("customers", 0)
            variant.conversion_count = result.get("conversions", 0)
            variant.conversion_rate_display = variant._format_percent(result.get("rate"), na)
            amount = result.get("revenue_per_customer")
            variant.revenue_per_customer_display = (
                na if amount is None else format_amount(self.env, amount, variant.currency_id)
            )
            variant.lift_display = compared and variant._format_percent(result.get("lift"), na, signed=True)
            variant.z_display = compared and variant._format_number(result.get("z"), na, 2)
            # Nobody (or everybody) converted on both sides: say so rather than show a meaningless 50 %.
            no_difference = result.get("no_difference")
            variant.p_value_display = compared and (no_difference or variant._format_p_value(result.get("p_value"), na))
            variant.prob_beats_control_display = compared and (
                no_difference or variant._format_percent(result.get("prob_beats_control"), na)
            )
            variant.result_warning = result.get("warning") or False

    @api.constrains("is_control", "rule_ids", "campaign_ids")
    def _check_control_gets_nothing(self):
        for variant in self.filtered("is_control"):
            if variant.rule_ids or variant.campaign_ids:
                raise ValidationError(
                    self.env._(
                        "The holdout of experiment %(experiment)s gets nothing: link rules and offers to another group.",
                        experiment=variant.experiment_id.name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        experiment_ids = [vals["experiment_id"] for vals in vals_list if vals.get("experiment_id")]
        self.env["pr.experiment"].browse(experiment_ids)._check_groups_editable()
        return super().create(vals_list)

    def write(self, vals):
        if ASSIGNMENT_FIELDS & set(vals):
            (self.experiment_id | self.env["pr.experiment"].browse(vals.get("experiment_id")))._check_groups_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_started(self):
        self.experiment_id._check_groups_editable()

    # ------------------------------------------------------------
    # TOOLS
    # ------------------------------------------------------------

    def _format_percent(self, value, na, signed=False):
        if value is None:
            return na
        text = f"{formatLang(self.env, 100 * value, digits=1)} %"
        return f"+{text}" if signed and value > 0 else text

    def _format_number(self, value, na, digits):
        return na if value is None else formatLang(self.env, value, digits=digits)

    def _format_p_value(self, value, na):
        if value is None:
            return na
        if value < 0.001:
            return f"< {formatLang(self.env, 0.001, digits=3)}"
        return formatLang(self.env, value, digits=3)
