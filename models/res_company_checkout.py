import math

from odoo import Command, api, fields, models, tools
from odoo.exceptions import ValidationError

from .pr_i18n import _lt, write_translated

# What the mirror program of a company is made of (see README, Points at checkout). The reward is
# a discount per point worth the company's value of a point, on the whole order.
CHECKOUT_FIELDS = {"pr_checkout_enabled", "pr_point_value", "currency_id"}


class ResCompany(models.Model):
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    pr_checkout_enabled = fields.Boolean(
        string="Points at Checkout",
        help="Customers pay part of an order with their available points: on sales orders, in the eCommerce "
        "cart and in the Point of Sale, at the value of a point.",
    )
    pr_checkout_min_points = fields.Integer(
        string="Minimum Points to Spend",
        default=100,
        help="A customer pays with points once they can spend at least this many.",
    )
    pr_checkout_max_share = fields.Float(
        string="Maximum Share of an Order (%)",
        default=50.0,
        digits=(5, 2),
        help="Points pay at most this share of an order's total, taxes included.",
    )
    pr_checkout_tier_ids = fields.Many2many(
        "pr.tier",
        "res_company_pr_checkout_tier_rel",
        "company_id",
        "tier_id",
        string="Tiers Allowed",
        help="Only customers of these tiers pay with points. Empty: every customer.",
    )
    pr_checkout_program_id = fields.Many2one(
        "loyalty.program",
        string="Points Program",
        readonly=True,
        copy=False,
        help="The Odoo loyalty program whose cards show each customer's available points, so that paying with "
        "points works as any Odoo reward. Its cards follow the reward ledger, never the other way round.",
    )

    _pr_checkout_min_points_positive = models.Constraint(
        "CHECK(pr_checkout_min_points >= 1)", "The minimum points to spend must be at least 1."
    )
    _pr_checkout_max_share_range = models.Constraint(
        "CHECK(pr_checkout_max_share > 0 AND pr_checkout_max_share <= 100)",
        "The maximum share of an order paid with points must be more than 0% and at most 100%.",
    )

    @api.constrains("pr_checkout_enabled", "pr_point_value")
    def _check_pr_checkout_point_value(self):
        for company in self:
            if company.pr_checkout_enabled and company.pr_point_value <= 0:
                raise ValidationError(
                    self.env._(
                        "Set the value of a point before customers can pay with points in %(company)s.",
                        company=company.name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        if any(vals.get("pr_checkout_enabled") for vals in vals_list):
            self.env.registry.clear_cache()
            companies._pr_checkout_update_program()
        return companies

    def write(self, vals):
        result = super().write(vals)
        if "pr_checkout_enabled" in vals:
            self.env.registry.clear_cache()  # _pr_checkout_company_ids
        if CHECKOUT_FIELDS & vals.keys():
            self._pr_checkout_update_program()
        return result

    @api.model
    def _pr_checkout_company_ids(self, ever=False):
        """The companies whose customers pay with points; ``ever``: or did once (they have a points program).

        Cached, so that the hot paths of companies that never enabled it pay no query for it; cleared when
        a company's setting changes.
        """
        return self._pr_checkout_companies()[1 if ever else 0]

    @api.model
    @tools.ormcache()
    def _pr_checkout_companies(self):
        companies = (
            self.sudo()
            .with_context(active_test=False)
            .search_fetch(
                ["|", ("pr_checkout_enabled", "=", True), ("pr_checkout_program_id", "!=", False)],
                ["pr_checkout_enabled"],
            )
        )
        return frozenset(companies.filtered("pr_checkout_enabled").ids), frozenset(companies.ids)

    # ------------------------------------------------------------
    # MIRROR PROGRAM
    # ------------------------------------------------------------

    def _pr_checkout_update_program(self):
        """Create, update or archive the mirror program of these companies, as their settings say.

        Enabling creates the program (or unarchives it) and asks the nightly mirror check to write
        every member's card at once; disabling archives it, so that no order offers points any more.
        """
        Program = self.env["loyalty.program"].sudo().with_context(active_test=False)
        for company in self:
            program = company.sudo().pr_checkout_program_id
            if not company.pr_checkout_enabled:
                if program.active:
                    program.action_archive()
                continue
            if not program:
                program = Program.create(company._pr_checkout_program_vals())
                company.sudo().pr_checkout_program_id = program
                self.env.registry.clear_cache()  # _pr_checkout_company_ids
            else:
                program.write({"active": True, "currency_id": company.currency_id.id})
                program.reward_ids.write({"discount": company.pr_point_value})
            company._pr_checkout_translate(program)
            cron = self.env.ref("positive_reinforcement.ir_cron_pr_checkout_mirror", raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger()

    def _pr_checkout_program_vals(self):
        self.ensure_one()
        return {
            "name": self.env._("Reward Points"),
            "program_type": "loyalty",
            "company_id": self.id,
            "currency_id": self.currency_id.id,
            "applies_on": "both",
            "trigger": "auto",
            "portal_visible": True,
            "portal_point_name": self.env._("Points"),
            "pr_is_mirror": True,
            "rule_ids": [Command.clear()],
            "communication_plan_ids": [Command.clear()],
            "reward_ids": [
                Command.clear(),
                Command.create(
                    {
                        "reward_type": "discount",
                        "discount_mode": "per_point",
                        "discount": self.pr_point_value,
                        "discount_applicability": "order",
                        "required_points": 1,
                        "description": self.env._("Paid with points"),
                    }
                ),
            ],
        }

    def _pr_checkout_translate(self, program):
        """What customers read of the program (its name, the points' name, the discount line), in every language."""
        write_translated(program, "name", _lt("Reward Points"))
        write_translated(program, "portal_point_name", _lt("Points"))
        write_translated(program.reward_ids, "description", _lt("Paid with points"))

    # ------------------------------------------------------------
    # LIMITS
    # ------------------------------------------------------------

    def _pr_checkout_limit(self, holder, available, total):
        """How many points ``holder`` may spend on an order of ``total`` (taxes included), and why not.

        The manager's limits: tiers allowed, minimum points, maximum share of the order. Shared by sales
        orders, the eCommerce cart and the Point of Sale, which says the same in its own screens.

        :param available: the points the holder can spend (the ledger's available points)
        :return: ``(points, refusal)``: the most points allowed, and False or why none can be spent
        """
        self.ensure_one()
        company = self.sudo()
        tiers = company.pr_checkout_tier_ids
        if tiers:
            member = self.env["pr.member"].sudo().search([("partner_id", "=", holder.id), ("company_id", "=", self.id)])
            if member.tier_id not in tiers:
                return 0, self.env._(
                    "Paying with points is for %(tiers)s customers; %(customer)s is not one yet.",
                    tiers=", ".join(tiers.mapped("name")),
                    customer=holder.display_name,
                )
        minimum = company.pr_checkout_min_points
        if available < minimum:
            return 0, self.env._(
                "Paying with points needs at least %(minimum)s available points; %(customer)s has %(available)s.",
                minimum=minimum,
                customer=holder.display_name,
                available=available,
            )
        share = company.pr_checkout_max_share
        cap = math.floor(total * share / 100.0 / company.pr_point_value + 1e-6) if total > 0 else 0
        if cap < minimum:
            return 0, self.env._(
                "Points can pay at most %(share)s of this order, less than the minimum of %(minimum)s points.",
                share=f"{share:g}%",
                minimum=minimum,
            )
        return min(available, cap), False
