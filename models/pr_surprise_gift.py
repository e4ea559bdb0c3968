from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .res_company import pr_holder_by_row_sql


class PrSurpriseGift(models.Model):
    """A gift a person chooses and sends, within a monthly budget a manager keeps."""

    _name = "pr.surprise.gift"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Surprise Gift"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Gift", required=True, tracking=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, tracking=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Account Manager",
        default=lambda self: self.env.user,
        tracking=True,
        help="Who writes the message and sends the gift.",
    )
    value = fields.Monetary(tracking=True, help="What the gift costs; counted in the monthly budget when approved.")
    message = fields.Text(help="Suggested words for the card, to make personal.")
    reason = fields.Char(help="Why this customer deserves it.")
    origin = fields.Selection(
        [("rule", "Reward rule"), ("suggestion", "Suggestion"), ("manual", "Manual")],
        default="manual",
        required=True,
        readonly=True,
    )
    rule_id = fields.Many2one("pr.reward.rule", readonly=True)
    date = fields.Date(string="Proposed On", default=fields.Date.context_today, required=True, readonly=True)
    date_approved = fields.Date(readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    date_sent = fields.Date(readonly=True, copy=False)
    state = fields.Selection(
        [("proposed", "Proposed"), ("approved", "Approved"), ("sent", "Sent"), ("refused", "Refused")],
        default="proposed",
        required=True,
        readonly=True,
        tracking=True,
    )
    budget_left = fields.Monetary(string="Budget Left This Month", compute="_compute_budget_left")

    _value_positive = models.Constraint("CHECK(value >= 0)", "A gift's value cannot be negative.")

    @api.depends("company_id")
    def _compute_budget_left(self):
        for gift in self:
            gift.budget_left = gift.company_id._pr_surprise_budget_left()

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_approve(self):
        """Approve proposals within the month's budget: all of them fit, or none is approved."""
        if not self.env.user.has_group("positive_reinforcement.positive_reinforcement_group_manager"):
            raise UserError(self.env._("Only a Positive Reinforcement manager approves surprise gifts."))
        proposed = self.filtered(lambda g: g.state == "proposed")
        for company in proposed.company_id:
            gifts = proposed.filtered(lambda g, c=company: g.company_id == c)
            budget = company.pr_surprise_budget
            left = company._pr_surprise_budget_left()
            total = sum(gifts.mapped("value"))
            if budget and total > left:
                raise UserError(
                    self.env._(
                        "These gifts cost %(total)s but only %(left)s of this month's surprise-gift budget is left.",
                        total=company.currency_id.format(total),
                        left=company.currency_id.format(left),
                    )
                )
        proposed.write(
            {"state": "approved", "date_approved": fields.Date.context_today(self), "approved_by_id": self.env.uid}
        )
        return True

    def action_send(self):
        """Mark approved gifts sent, and log each one on its customer."""
        if any(gift.state != "approved" for gift in self):
            raise UserError(self.env._("Only approved gifts can be sent."))
        self.write({"state": "sent", "date_sent": fields.Date.context_today(self)})
        self.activity_feedback(["positive_reinforcement.mail_activity_type_pr_surprise_gift"])
        for gift in self:
            gift.partner_id._message_log(
                body=self.env._(
                    "Surprise gift sent: %(gift)s, by %(user)s. %(message)s",
                    gift=gift.name,
                    user=gift.user_id.name or self.env.user.name,
                    message=gift.message or "",
                )
            )
        return True

    def action_refuse(self):
        if any(gift.state == "sent" for gift in self):
            raise UserError(self.env._("A gift already sent cannot be refused."))
        self.write({"state": "refused"})
        self.activity_unlink(["positive_reinforcement.mail_activity_type_pr_surprise_gift"])
        return True

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        gifts = super().create(vals_list)
        gifts._schedule_for_manager()
        return gifts

    def _schedule_for_manager(self):
        """The account manager is asked to choose, write and send the gift."""
        for gift in self:
            gift.activity_schedule(
                "positive_reinforcement.mail_activity_type_pr_surprise_gift",
                summary=self.env._("Surprise gift for %(customer)s", customer=gift.partner_id.name),
                note=gift.message,
                user_id=(gift.user_id or gift.partner_id.user_id or self.env.user).id,
            )

    @api.model
    def _deserving_customers(self, company, engagement_days, min_events, quiet_days, limit):
        """Customers engaged lately who received nothing lately, most engaged first, in one query.

        Engaged: at least ``min_events`` behaviours recorded in ``engagement_days``, rewarded or not. Nothing lately: no
        redemption and no surprise gift (other than refused) in ``quiet_days``. Points earned do not
        count as a reward here, since every purchase earns some.

        :return: list of ``(holder_id, event_count)``
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT holder, COUNT(*) AS events
                  FROM (SELECT %(holder)s AS holder
                          FROM pr_event e
                          JOIN res_partner p ON p.id = e.partner_id AND p.active
                          JOIN res_company c ON c.id = e.company_id
                         WHERE e.company_id = %(company)s AND e.state IN ('processed', 'ignored')
                           AND e.date >= NOW() AT TIME ZONE 'UTC' - make_interval(days => %(engagement)s)) ev
                 WHERE NOT EXISTS (SELECT 1 FROM pr_redemption r
                                    WHERE r.partner_id = ev.holder AND r.company_id = %(company)s
                                      AND r.state = 'done'
                                      AND r.date >= NOW() AT TIME ZONE 'UTC' - make_interval(days => %(quiet)s))
                   AND NOT EXISTS (SELECT 1 FROM pr_surprise_gift g
                                    WHERE g.partner_id = ev.holder AND g.company_id = %(company)s
                                      AND g.state <> 'refused'
                                      AND g.date >= CURRENT_DATE - %(quiet)s)
                 GROUP BY holder
                HAVING COUNT(*) >= %(min_events)s
                 ORDER BY events DESC, holder
                 LIMIT %(limit)s
                """,
                holder=pr_holder_by_row_sql(),
                company=company.id,
                engagement=engagement_days,
                quiet=quiet_days,
                min_events=min_events,
                limit=limit,
            )
        )
        return self.env.cr.fetchall()
