from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .pr_i18n import reader_lang
from .res_company import pr_can_do_tasks, pr_holder_by_row_sql

# Set only by the actions, under sudo after their checks: the way a gift is approved, sent or refused.
WORKFLOW_FIELDS = {"state", "date_approved", "approved_by_id", "date_sent"}
# What the budget counted when the gift was approved.
BUDGET_FIELDS = {"value", "company_id"}


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
        copy=False,
        tracking=True,
    )
    budget_left = fields.Monetary(string="Budget Left This Month", compute="_compute_budget_left")

    _value_positive = models.Constraint("CHECK(value >= 0)", "A gift's value cannot be negative.")

    @api.depends("company_id")
    def _compute_budget_left(self):
        for gift in self:
            gift.budget_left = gift.company_id._pr_surprise_budget_left()

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(
            vals.get(name) not in (False, None, "proposed") for vals in vals_list for name in WORKFLOW_FIELDS
        ):
            raise AccessError(self._workflow_error())
        gifts = super().create(vals_list)
        gifts._schedule_for_manager()
        return gifts

    def write(self, vals):
        if not self.env.su and WORKFLOW_FIELDS & vals.keys():
            raise AccessError(self._workflow_error())
        if BUDGET_FIELDS & vals.keys() and any(gift.state in ("approved", "sent") for gift in self):
            raise UserError(
                self.env._("The value and company of an approved gift cannot change: refuse it and propose another.")
            )
        return super().write(vals)

    def _workflow_error(self):
        return self.env._("A surprise gift is approved, sent or refused only through its buttons.")

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_approve(self):
        """Approve proposals within the month's budget: all of them fit, or none is approved."""
        self._check_pr_rights("positive_reinforcement.positive_reinforcement_group_manager", self._manager_error())
        proposed = self.filtered(lambda g: g.state == "proposed")
        proposed._lock_budgets()
        for company in proposed.company_id:
            gifts = proposed.filtered(lambda g, c=company: g.company_id == c)
            left = company._pr_surprise_budget_left()
            total = sum(gifts.mapped("value"))
            if company.pr_surprise_budget and total > left:
                raise UserError(
                    self.env._(
                        "These gifts cost %(total)s but only %(left)s of this month's surprise-gift budget is left.",
                        total=company.currency_id.format(total),
                        left=company.currency_id.format(left),
                    )
                )
        for company, gifts in proposed.grouped("company_id").items():  # the company's day counts in its budget
            gifts.sudo().write(
                {"state": "approved", "date_approved": company._pr_today(), "approved_by_id": self.env.uid}
            )
        return True

    def action_send(self):
        """Mark approved gifts sent, and log each one on its customer."""
        self._check_pr_rights(
            "positive_reinforcement.positive_reinforcement_group_user",
            self.env._("Only Positive Reinforcement users can mark surprise gifts as sent."),
        )
        if any(gift.state != "approved" for gift in self):
            raise UserError(self.env._("Only approved gifts can be sent."))
        for company, gifts in self.grouped("company_id").items():
            gifts.sudo().write({"state": "sent", "date_sent": company._pr_today()})
        self.activity_feedback(["positive_reinforcement.mail_activity_type_pr_surprise_gift"])
        for gift in self:
            # A note for whoever looks after the customer: the gift's account manager.
            reader = self.with_context(lang=reader_lang(self.env, gift.user_id or self.env.user, gift.company_id))
            gift.partner_id._message_log(
                body=reader.env._(
                    "Surprise gift sent: %(gift)s, by %(user)s. %(message)s",
                    gift=gift.name,
                    user=gift.user_id.name or self.env.user.name,
                    message=gift.message or "",
                )
            )
        return True

    def action_refuse(self):
        self._check_pr_rights("positive_reinforcement.positive_reinforcement_group_manager", self._manager_error())
        if any(gift.state == "sent" for gift in self):
            raise UserError(self.env._("A gift already sent cannot be refused."))
        self.sudo().write({"state": "refused"})
        self.activity_unlink(["positive_reinforcement.mail_activity_type_pr_surprise_gift"])
        return True

    def _check_pr_rights(self, group, message):
        """Refuse before anything unless the user is in ``group`` and may change these gifts."""
        if not self.env.user.has_group(group):
            raise AccessError(message)
        self.check_access("write")

    def _manager_error(self):
        return self.env._("Only a Positive Reinforcement manager approves or refuses surprise gifts.")

    def _lock_budgets(self):
        """Hold the budgets of these gifts' companies until the transaction ends.

        Two managers approving at once must not both spend what is left. Odoo's transactions see the
        database as it was when they began, so a mere lock would let the second one count without the
        first one's approvals. A real (empty) update of the company row makes the second approval wait,
        then fail with a serialization error; Odoo retries the call, which then reads the budget anew.
        """
        companies = self.company_id.filtered("pr_surprise_budget")
        if not companies:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_company c SET pr_surprise_budget = c.pr_surprise_budget
                  FROM (SELECT id FROM res_company WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE) l
                 WHERE c.id = l.id
                """,
                companies.ids,
            )
        )

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _schedule_for_manager(self):
        """The account manager is asked to choose, write and send the gift.

        The gift's account manager while they can do it, else whoever looks after the customer
        (see ``res.company._pr_task_users``).
        """
        orphans = self.filtered(lambda gift: not pr_can_do_tasks(gift.user_id))
        users = {
            company: company._pr_task_users(gifts.partner_id)
            for company, gifts in orphans.grouped("company_id").items()
        }
        for gift in self:
            user = gift.user_id if pr_can_do_tasks(gift.user_id) else users[gift.company_id][gift.partner_id]
            reader = self.with_context(lang=reader_lang(self.env, user, gift.company_id))  # the task is theirs
            gift.activity_schedule(
                "positive_reinforcement.mail_activity_type_pr_surprise_gift",
                summary=reader.env._("Surprise gift for %(customer)s", customer=gift.partner_id.name),
                note=gift.message,
                user_id=user.id,
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
