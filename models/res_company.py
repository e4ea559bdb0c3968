from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from .pr_timezone import pr_company_tz_table, pr_day_start, pr_local_date

# Loyalty tasks (thank-you notes, surprise gifts, rewards to fulfil, feedback follow-ups) go to people
# who can do them: see ResCompany._pr_task_users.
GROUP_MANAGER = "positive_reinforcement.positive_reinforcement_group_manager"
FEEDBACK_TYPE = "positive_reinforcement.mail_activity_type_pr_feedback_follow_up"
# The addon's own kinds of task. The activities of reward rules may be of any kind: those on the
# addon's documents are found by their model.
TASK_TYPES = (
    "positive_reinforcement.mail_activity_type_pr_thank_you_note",
    "positive_reinforcement.mail_activity_type_pr_surprise_gift",
    "positive_reinforcement.mail_activity_type_pr_reward_fulfilment",
    FEEDBACK_TYPE,
)


def pr_can_do_tasks(user):
    """Whether ``user`` is a person who can do a task: an active internal user."""
    return bool(user) and user.active and not user.share


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
    pr_event_max_age_days = fields.Integer(
        string="Oldest Behaviour Accepted (days)",
        help="Behaviours recorded by hand, imported or sent through the API may be dated at most this many days "
        "ago. 0: the tier window.",
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
        default=50.0,
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
    pr_referral_join_limit = fields.Integer(
        string="Referral Page Requests per Network per Hour",
        default=10,
        help="Details one network address can leave on the referral page within an hour; the next ones are refused.",
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
    _pr_event_max_age_days_positive = models.Constraint(
        "CHECK(pr_event_max_age_days >= 0)", "The age of the oldest behaviour accepted cannot be negative."
    )
    _pr_referral_min_amount_positive = models.Constraint(
        "CHECK(pr_referral_min_amount >= 0)", "The referral minimum order cannot be negative."
    )
    _pr_referral_join_limit_positive = models.Constraint(
        "CHECK(pr_referral_join_limit > 0)", "The referral page must accept at least one request per hour."
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
    pr_task_user_id = fields.Many2one(
        "res.users",
        string="Loyalty Tasks Go To",
        domain="[('share', '=', False), ('active', '=', True)]",
        help="Who gets the loyalty tasks (thank-you notes, surprise gifts, rewards to fulfil, feedback "
        "follow-ups) of customers with neither a salesperson nor a sales team leader. Empty: the company's "
        "first Positive Reinforcement manager.",
    )

    _pr_referral_limits_positive = models.Constraint(
        "CHECK(pr_referral_days >= 0 AND pr_referral_cap >= 0 AND pr_referral_signup_limit >= 0 "
        "AND pr_referral_ip_retention_days >= 0 AND pr_referral_invite_limit >= 0)",
        "Referral days, caps and limits cannot be negative.",
    )
    _pr_point_value_positive = models.Constraint(
        "CHECK(pr_point_value IS NULL OR pr_point_value >= 0)", "The value of a point cannot be negative."
    )
    _pr_surprise_budget_positive = models.Constraint(
        "CHECK(pr_surprise_budget IS NULL OR pr_surprise_budget >= 0)", "The surprise-gift budget cannot be negative."
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

    # ------------------------------------------------------------
    # THE COMPANY'S DAYS AND MONTHS
    # ------------------------------------------------------------

    def _pr_tz(self):
        """The time zone the company's days and months are counted in.

        The company's own (its address's), else the current user's (the cron's user at night), else UTC:
        an order placed at 06:00 in Jakarta on the 1st belongs to the 1st, not to the day before in UTC.
        """
        self.ensure_one()
        return self.sudo().partner_id.tz or self.env.user.tz or "UTC"

    def _pr_today(self):
        """Today, in the company's time zone."""
        return pr_local_date(fields.Datetime.now(), self._pr_tz())

    def _pr_local_date(self, value):
        """The company's day of ``value``, a UTC date-time as stored."""
        return pr_local_date(fields.Datetime.to_datetime(value), self._pr_tz())

    def _pr_day_start(self, day):
        """The UTC date-time (naive, as stored) at which ``day`` begins in the company's time zone."""
        return pr_day_start(day, self._pr_tz())

    @api.model
    def _pr_tz_table(self):
        """SQL for a table ``(company_id, tz)``: each company's time zone as ``_pr_tz`` gives it, to join."""
        self.env["res.partner"].flush_model(["tz"])
        self.flush_model(["partner_id"])
        return pr_company_tz_table(self.env.user.tz or "UTC")

    def _pr_surprise_budget_left(self):
        """This month's surprise-gift budget minus the gifts approved or sent this month."""
        self.ensure_one()
        month_start = self._pr_today().replace(day=1)
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

    def _pr_oldest_event_date(self, now):
        """The earliest date a behaviour recorded from outside the engine may have: older ones are refused."""
        self.ensure_one()
        if self.pr_event_max_age_days:
            return now - timedelta(days=self.pr_event_max_age_days)
        return now - relativedelta(months=self.pr_tier_window_months)

    def _pr_holder_sql(self, partner_alias):
        """SQL for the points holder of the partner ``partner_alias`` in this company (see res.partner._pr_holder)."""
        self.ensure_one()
        column = "id" if self.pr_wallet_mode == "contact" else "commercial_partner_id"
        return SQL("%s.%s", SQL.identifier(partner_alias), SQL.identifier(column))

    # ------------------------------------------------------------
    # WHO
    # ------------------------------------------------------------

    def _pr_task_users(self, partners, preferred=None, leaving=None):
        """``{partner: user}``: who does the loyalty tasks about each of ``partners`` in this company.

        The first active internal user among: the customer's salesperson (the contact's, else its
        commercial entity's), the leader of that salesperson's sales team (kept when the salesperson is
        archived), ``preferred`` (a setting of the task's own, such as the feedback follow-up's), the
        company's *Loyalty Tasks Go To*, and the company's first Positive Reinforcement manager. Never an
        archived user, a portal user or OdooBot, nor one of the users ``leaving`` (being archived). A
        constant number of queries, whatever the number of partners.
        """
        self.ensure_one()
        partners = partners.sudo()
        salespeople = (partners | partners.commercial_partner_id).user_id
        leaders = self._pr_team_leaders(salespeople)
        candidates = salespeople | self.env["res.users"].union(*leaders.values())
        able = set(candidates.filtered(pr_can_do_tasks).ids) - set(leaving.ids if leaving else ())
        fallback = self._pr_task_fallback(preferred, leaving)
        users = {}
        for partner in partners:
            sellers = (partner.user_id, partner.commercial_partner_id.user_id)
            ranked = (*sellers, *(leaders.get(seller) for seller in sellers))
            users[partner] = next((user for user in ranked if user and user.id in able), fallback)
        return users

    def _pr_team_leaders(self, salespeople):
        """``{salesperson: leader of their sales team}``, in this company; an archived salesperson's too.

        Archiving a user archives their team memberships, so these are read archived or not: the team
        the salesperson was in first, preferring the memberships still active.
        """
        members = (
            self.env["crm.team.member"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [("user_id", "in", salespeople.ids), ("crm_team_id.company_id", "in", [self.id, False])],
                order="active desc, create_date, id",
            )
        )
        leaders = {}
        for member in members:
            leaders.setdefault(member.user_id, member.crm_team_id.user_id)
        return leaders

    def _pr_task_fallback(self, preferred=None, leaving=None):
        """Who does the tasks about customers without a salesperson or team leader (see ``_pr_task_users``)."""
        self.ensure_one()
        leaving_ids = leaving.ids if leaving else []
        for user in (preferred, self.sudo().pr_task_user_id):
            if user and pr_can_do_tasks(user.sudo()) and user.id not in leaving_ids:
                return user.sudo()
        Users = self.env["res.users"].sudo().with_context(active_test=True)
        people = (
            Domain("share", "=", False) & Domain("company_ids", "in", self.id) & Domain("id", "not in", leaving_ids)
        )
        for group in (GROUP_MANAGER, "base.group_system"):
            user = Users.search(people & Domain("all_group_ids", "in", self.env.ref(group).id), order="id", limit=1)
            if user:
                return user
        return Users

    # ------------------------------------------------------------
    # TASKS LEFT TO USERS WHO CANNOT DO THEM
    # ------------------------------------------------------------

    @api.model
    def _pr_reassign_tasks(self, leaving=None):
        """Move the open loyalty tasks of users who cannot do them (archived, portal, OdooBot) to who does them now.

        The tasks of the addon's kinds, and any task on the addon's documents, go where
        ``_pr_task_users`` sends a new one. Their new users are not emailed: a migration may move many.

        :param leaving: move the tasks of these users instead, who are being archived (Odoo deletes the
            open activities of the users it archives)
        :return: the activities moved
        """
        Activity = self.env["mail.activity"].sudo()
        types = [self.env.ref(xmlid, raise_if_not_found=False) for xmlid in TASK_TYPES]
        type_ids = [activity_type.id for activity_type in types if activity_type]
        if leaving is not None:
            stuck = Domain("user_id", "in", leaving.ids)
        else:
            stuck = Domain("user_id", "any", Domain("active", "=", False) | Domain("share", "=", True))
        activities = Activity.search(
            stuck
            & Domain.OR(
                [
                    Domain("activity_type_id", "in", type_ids),
                    Domain("res_model", "=like", "pr.%"),
                    self._pr_rule_tasks_domain(),
                ]
            )
        )
        feedback_type = self.env.ref(FEEDBACK_TYPE, raise_if_not_found=False)
        plan = defaultdict(list)  # (company, preferred user) -> [(activity, partner)]
        for model, group in activities.grouped("res_model").items():
            subjects = self._pr_task_subjects(model, group.mapped("res_id"))
            for activity in group:
                partner, company = subjects.get(activity.res_id, (self.env["res.partner"], self.env["res.company"]))
                company = company or activity.user_id.company_id or self.env.company
                preferred = company.pr_feedback_user_id if activity.activity_type_id == feedback_type else None
                plan[company, preferred].append((activity, partner))
        moves = defaultdict(list)  # user -> activity ids
        for (company, preferred), pairs in plan.items():
            partners = self.env["res.partner"].union(*(partner for _activity, partner in pairs))
            users = company._pr_task_users(partners, preferred, leaving)
            fallback = company._pr_task_fallback(preferred, leaving)
            for activity, partner in pairs:
                user = users[partner] if partner else fallback
                if user:
                    moves[user].append(activity.id)
        moved = Activity.browse()
        for user, ids in moves.items():
            batch = Activity.browse(ids)
            batch.with_context(mail_activity_quick_update=True).write({"user_id": user.id})
            moved |= batch
        return moved

    @api.model
    def _pr_rule_tasks_domain(self):
        """The tasks on customers that reward rules and rewards scheduled with a kind of Odoo's (a to-do).

        They are known by their kind and summary: a rule's, or a reward's to fulfil as it was written
        before rewards had a kind of task of their own, in every language in use.
        """
        with_activity = (
            self.env["pr.reward.rule"]
            .sudo()
            .with_context(active_test=False)
            .search([("activity_type_id", "!=", False)])
        )
        summaries = set()
        for lang, _name in self.env["res.lang"].get_installed():  # each task is in its user's language
            summaries.update(rule.activity_summary or rule.name for rule in with_activity.with_context(lang=lang))
        type_ids = set(with_activity.activity_type_id.ids)
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        if todo:
            type_ids.add(todo.id)
            rewards = (
                self.env["pr.reward"]
                .sudo()
                .with_context(active_test=False)
                .search([("kind", "not in", ("coupon", "ewallet"))])
            )
            for lang, _name in self.env["res.lang"].get_installed():
                env = self.env(context=dict(self.env.context, lang=lang))
                summaries.update(
                    env._("Fulfil the reward: %(reward)s", reward=reward.name) for reward in rewards.with_env(env)
                )
        if not summaries:
            return Domain.FALSE
        return (
            Domain("res_model", "=", "res.partner")
            & Domain("activity_type_id", "in", list(type_ids))
            & Domain("summary", "in", list(summaries))
        )

    @api.model
    def _pr_task_subjects(self, model, res_ids):
        """``{res_id: (customer, company)}`` of the documents of ``model`` that tasks are about."""
        Partner, Company = self.env["res.partner"].sudo(), self.env["res.company"].sudo()
        if model == "res.partner":
            partners = Partner.browse(res_ids).exists()
            return {partner.id: (partner, partner.company_id) for partner in partners}
        if model not in self.env:
            return {}
        Model = self.env[model].sudo()
        partner_field = Model._fields.get("partner_id")
        has_partner = partner_field is not None and partner_field.comodel_name == "res.partner"
        has_company = "company_id" in Model._fields
        return {
            record.id: (record.partner_id if has_partner else Partner, record.company_id if has_company else Company)
            for record in Model.browse(res_ids).exists()
        }


def pr_holder_by_row_sql(partner_alias="p", company_alias="c"):
    """SQL for the points holder of ``partner_alias`` when the company ``company_alias`` varies by row."""
    partner, company = SQL.identifier(partner_alias), SQL.identifier(company_alias)
    return SQL(
        "CASE WHEN %s.pr_wallet_mode = 'contact' THEN %s.id ELSE %s.commercial_partner_id END",
        company,
        partner,
        partner,
    )
