from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools import SQL

from ..pr_lib.referral import generate_code
from ..pr_lib.rfm import SEGMENTS
from .pr_access import PR_USER, check_reward_switch


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "pr.referred.mixin"]
    _pr_friend_field = "friend_partner_id"
    _pr_friend_argument = "friend"

    # A customer's loyalty figures are for the users of the program: other employees and portal users may
    # read contacts, but not these (the portal shows a customer their own, read for them).
    pr_member_id = fields.Many2one(
        "pr.member", string="Loyalty Membership", compute="_compute_pr_member", groups=PR_USER
    )
    pr_tier_id = fields.Many2one(
        "pr.tier", string="Loyalty Tier", compute="_compute_pr_member", search="_search_pr_tier_id", groups=PR_USER
    )
    pr_points_available = fields.Integer(
        string="Available Points",
        compute="_compute_pr_member",
        search="_search_pr_points_available",
        groups=PR_USER,
    )
    pr_points_pending = fields.Integer(string="Pending Points", compute="_compute_pr_member", groups=PR_USER)
    pr_points_lifetime = fields.Integer(string="Lifetime Points", compute="_compute_pr_member", groups=PR_USER)
    pr_points_expiring = fields.Integer(string="Points Expiring Soon", compute="_compute_pr_member", groups=PR_USER)
    pr_rfm_segment = fields.Selection(
        SEGMENTS,
        string="RFM Segment",
        compute="_compute_pr_scores",
        search="_search_pr_rfm_segment",
        groups=PR_USER,
    )
    pr_clv_value = fields.Float(
        string="Predicted Value (12 months)",
        compute="_compute_pr_scores",
        search="_search_pr_clv_value",
        groups=PR_USER,
    )
    pr_clv_probability_alive = fields.Float(
        string="Probability Active",
        compute="_compute_pr_scores",
        search="_search_pr_clv_probability_alive",
        groups=PR_USER,
    )
    pr_revenue_to_date = fields.Float(string="Revenue to Date", compute="_compute_pr_scores", groups=PR_USER)
    pr_ledger_count = fields.Integer(string="Ledger Entries", compute="_compute_pr_ledger_count", groups=PR_USER)
    pr_event_count = fields.Integer(string="Behaviours", compute="_compute_pr_event_count", groups=PR_USER)
    pr_offer_count = fields.Integer(compute="_compute_pr_offer_count", groups=PR_USER)
    pr_referral_code = fields.Char(string="Referral Code", copy=False, readonly=True)
    pr_referral_url = fields.Char(string="Referral Link", compute="_compute_pr_referral_url")
    pr_referral_count = fields.Integer(string="Referrals", compute="_compute_pr_referral_count", groups=PR_USER)
    pr_feedback_count = fields.Integer(string="Feedback", compute="_compute_pr_feedback_count", groups=PR_USER)

    pr_leaderboard_opt_in = fields.Boolean(
        string="On the Leaderboard",
        help="Customers join the leaderboard only if they opt in. It is set on the customer who holds the points: "
        "the company for its contacts, unless each contact has its own wallet.",
    )
    pr_is_points_holder = fields.Boolean(compute="_compute_pr_is_points_holder")
    pr_badge_grant_ids = fields.Many2many(
        "pr.badge.grant", string="Loyalty Badges", compute="_compute_pr_badge_grant_ids", groups=PR_USER
    )
    pr_badge_count = fields.Integer(string="Badges Earned", compute="_compute_pr_badge_grant_ids", groups=PR_USER)

    _pr_referral_code_uniq = models.UniqueIndex(
        "(pr_referral_code) WHERE pr_referral_code IS NOT NULL", "This referral code is already used."
    )

    @api.model
    def _pr_balance_fields(self):
        return [
            "pr_member_id",
            "pr_tier_id",
            "pr_points_available",
            "pr_points_pending",
            "pr_points_lifetime",
            "pr_points_expiring",
            "pr_ledger_count",
        ]

    def _pr_holder(self):
        """The partner whose points these contacts see: their commercial entity unless wallets are per contact."""
        self.ensure_one()
        if self.env.company.pr_wallet_mode == "contact":
            return self
        return self.commercial_partner_id

    def _pr_member_of(self, fnames):
        """``{partner: member}`` of each partner's points holder in the current company, read in one query."""
        holders = {partner: partner._pr_holder() for partner in self}
        members = (
            self.env["pr.member"]
            .sudo()
            .search_fetch(
                [
                    ("partner_id", "in", [holder.id for holder in holders.values()]),
                    ("company_id", "=", self.env.company.id),
                ],
                ["partner_id", *fnames],
            )
        )
        by_holder = {member.partner_id: member for member in members}
        return {partner: by_holder.get(holder, members.browse()) for partner, holder in holders.items()}

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_pr_member(self):
        members = self._pr_member_of(
            ["tier_id", "points_available", "points_pending", "points_lifetime", "points_expiring"]
        )
        for partner in self:
            member = members[partner]
            partner.pr_member_id = member.id
            partner.pr_tier_id = member.tier_id.id
            partner.pr_points_available = member.points_available
            partner.pr_points_pending = member.points_pending
            partner.pr_points_lifetime = member.points_lifetime
            partner.pr_points_expiring = member.points_expiring

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_pr_scores(self):
        members = self._pr_member_of(["rfm_segment", "clv_value", "clv_probability_alive", "revenue_to_date"])
        for partner in self:
            member = members[partner]
            partner.pr_rfm_segment = member.rfm_segment
            partner.pr_clv_value = member.clv_value
            partner.pr_clv_probability_alive = member.clv_probability_alive
            partner.pr_revenue_to_date = member.revenue_to_date

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_pr_is_points_holder(self):
        for partner in self:
            partner.pr_is_points_holder = partner._pr_holder() == partner

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_pr_badge_grant_ids(self):
        holders = {partner: partner._pr_holder() for partner in self}
        grants = self.env["pr.badge.grant"].search(
            [
                ("partner_id", "in", [holder.id for holder in holders.values()]),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_holder = defaultdict(lambda: grants.browse())
        for grant in grants:
            by_holder[grant.partner_id] |= grant
        for partner in self:
            partner.pr_badge_grant_ids = by_holder[holders[partner]]
            partner.pr_badge_count = len(partner.pr_badge_grant_ids)

    def action_view_pr_badges(self):
        return self._pr_holder_action("positive_reinforcement.pr_badge_grant_action")

    def _search_pr_rfm_segment(self, operator, value):
        return self._pr_search_members("pr_rfm_segment", [("rfm_segment", operator, value)])

    def _search_pr_clv_value(self, operator, value):
        return self._pr_search_members("pr_clv_value", [("clv_value", operator, value)])

    def _search_pr_clv_probability_alive(self, operator, value):
        return self._pr_search_members("pr_clv_probability_alive", [("clv_probability_alive", operator, value)])

    @api.depends_context("company")
    def _compute_pr_ledger_count(self):
        counts = self._pr_count_per_holder("pr.ledger.entry", [("company_id", "=", self.env.company.id)])
        for partner in self:
            partner.pr_ledger_count = counts[partner]

    def _compute_pr_event_count(self):
        counts = dict(
            self.env["pr.event"]._read_group(
                [("partner_id", "child_of", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            family = partner.commercial_partner_id
            partner.pr_event_count = sum(count for p, count in counts.items() if p.commercial_partner_id == family)

    def action_view_pr_events(self):
        self.ensure_one()
        self._pr_check_program_user()
        action = self.env["ir.actions.act_window"]._for_xml_id("positive_reinforcement.pr_event_action")
        action["domain"] = [("partner_id", "child_of", self.commercial_partner_id.id)]
        return action

    def _compute_pr_offer_count(self):
        counts = self._pr_count_per_holder("pr.offer")
        for partner in self:
            partner.pr_offer_count = counts[partner]

    def action_pr_view_offers(self):
        return self._pr_holder_action("positive_reinforcement.pr_offer_action")

    def _pr_count_per_holder(self, model, domain=()):
        """How many ``model`` records the points holder of each of these partners has, in one query."""
        holders = {partner: partner._pr_holder() for partner in self}
        counts = dict(
            self.env[model]._read_group(
                [("partner_id", "in", [holder.id for holder in holders.values()]), *domain],
                ["partner_id"],
                ["__count"],
            )
        )
        return {partner: counts.get(holder, 0) for partner, holder in holders.items()}

    def _pr_check_program_user(self):
        """The figures' buttons are callable over RPC by anyone signed in: only the program's users get the action."""
        if not self.env.su and not self.env.user.has_group(PR_USER):
            raise AccessError(self.env._("Only Positive Reinforcement users can see a customer's loyalty records."))

    def _pr_holder_action(self, xmlid):
        """The action ``xmlid`` showing the records of this partner's points holder."""
        self.ensure_one()
        self._pr_check_program_user()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("partner_id", "=", self._pr_holder().id)]
        return action

    def _compute_pr_referral_url(self):
        base_url = self.get_base_url()
        for partner in self:
            code = partner.commercial_partner_id.pr_referral_code
            partner.pr_referral_url = f"{base_url}/referral/{code}" if code else False

    def _compute_pr_referral_count(self):
        counts = dict(
            self.env["pr.referral"]._read_group(
                [("referrer_id", "in", self.commercial_partner_id.ids)], ["referrer_id"], ["__count"]
            )
        )
        for partner in self:
            partner.pr_referral_count = counts.get(partner.commercial_partner_id, 0)

    @api.model_create_multi
    def create(self, vals_list):
        # Referral codes come from the engine only: a code given here (an import, a default) is ignored.
        vals_list = [{k: v for k, v in vals.items() if k != "pr_referral_code"} for vals in vals_list]
        self._pr_check_leaderboard_consent(vals_list)
        self._pr_check_attribution(vals_list)
        default_parent = self.env.context.get("default_parent_id")
        holders = [vals for vals in vals_list if vals.get("is_company") or not vals.get("parent_id", default_parent)]
        for vals, code in zip(holders, self._pr_free_codes(len(holders)), strict=True):
            vals["pr_referral_code"] = code  # in the insert itself: no second statement per contact
        partners = super().create(vals_list)
        partners.filtered(lambda p: p.is_company or not p.parent_id)._pr_ensure_referral_code()
        return partners

    @api.model
    def _pr_free_codes(self, count):
        """``count`` new referral codes that no contact has, in one query (more only on a collision)."""
        codes = set()
        while len(codes) < count:
            candidates = {generate_code() for _ in range(count - len(codes))} - codes
            self.env.cr.execute(
                SQL("SELECT pr_referral_code FROM res_partner WHERE pr_referral_code = ANY(%s)", list(candidates))
            )
            codes |= candidates - {row[0] for row in self.env.cr.fetchall()}
        return list(codes)

    def write(self, vals):
        if "pr_referral_code" in vals:
            vals = self._pr_check_referral_code_write(vals)
        self._pr_check_leaderboard_consent([vals])
        self._pr_check_attribution([vals])
        return super().write(vals)

    def _pr_check_leaderboard_consent(self, vals_list):
        """Customers choose to join the leaderboard: only they (the portal, as superuser) and the program's users set it.

        The leaderboard shows a customer's name to the other customers. Any salesperson may edit contacts,
        but opting a customer in or out is the customer's choice, which the program's users record when
        asked. Writing the value a contact already has changes nothing and is let through (a merge, an import).
        """
        check_reward_switch(
            self,
            vals_list,
            "pr_leaderboard_opt_in",
            PR_USER,
            lambda env: env._(
                "Only Positive Reinforcement users can put a customer on the leaderboard or take them off."
            ),
        )

    def _pr_check_referral_code_write(self, vals):
        """Referral codes are generated, never chosen: one could take over another customer's link.

        Writing a partner's own code back (the contact merge does) changes nothing and is let through;
        any other value is refused, or dropped when the caller is the framework itself (sudo).
        """
        vals = dict(vals)
        code = vals.pop("pr_referral_code")
        if all(partner.pr_referral_code == code for partner in self) or self.env.su:
            return vals
        raise AccessError(self.env._("Referral codes are generated by Positive Reinforcement and cannot be changed."))

    def _pr_ensure_referral_code(self):
        """Give these customers a unique referral code, in a few queries whatever their number."""
        todo = self.filtered(lambda p: not p.pr_referral_code)
        codes = {}
        while len(codes) < len(todo):
            candidates = {generate_code() for _ in range(len(todo) - len(codes))} - set(codes.values())
            self.flush_model(["pr_referral_code"])
            self.env.cr.execute(
                SQL("SELECT pr_referral_code FROM res_partner WHERE pr_referral_code = ANY(%s)", list(candidates))
            )
            taken = {row[0] for row in self.env.cr.fetchall()}
            free = iter(candidates - taken)
            for partner in todo:
                if partner.id not in codes and (code := next(free, None)):
                    codes[partner.id] = code
        if codes:
            self.env.cr.execute(
                SQL(
                    "UPDATE res_partner p SET pr_referral_code = d.code FROM unnest(%s::int[], %s::varchar[]) AS d(id, code)"
                    " WHERE p.id = d.id",
                    list(codes),
                    list(codes.values()),
                )
            )
            todo.invalidate_recordset(["pr_referral_code"])

    @api.model
    def _pr_init_referral_codes(self, batch_size=10000):
        """At install: a referral code for every existing customer."""
        while partners := self.with_context(active_test=False).search(
            [("pr_referral_code", "=", False), "|", ("is_company", "=", True), ("parent_id", "=", False)],
            limit=batch_size,
        ):
            partners._pr_ensure_referral_code()

    def action_view_pr_referrals(self):
        self.ensure_one()
        self.env["pr.referral"].check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("positive_reinforcement.pr_referral_action")
        action["domain"] = [("referrer_id", "=", self.commercial_partner_id.id)]
        return action

    def action_pr_invite(self):
        self.ensure_one()
        self.env["pr.referral.invite"].check_access("create")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Invite a Friend"),
            "res_model": "pr.referral.invite",
            "view_mode": "form",
            "target": "new",
            "context": {"default_referrer_id": self.commercial_partner_id.id},
        }

    def _pr_search_members(self, fname, domain):
        """Contacts whose points holder's member matches ``domain``, for searching on the field ``fname``.

        ``groups=`` hides a field from reads, not from searches, which run this method as any user:
        those who may not read the field may not filter on it either.
        """
        self._check_field_access(self._fields[fname], "read")
        members = self.env["pr.member"].sudo()._search(Domain.AND([domain, [("company_id", "=", self.env.company.id)]]))
        holders = Domain("id", "in", members.subselect("partner_id"))
        if self.env.company.pr_wallet_mode == "contact":
            return holders
        return Domain("commercial_partner_id", "in", self.env["res.partner"]._search(holders))

    def _search_pr_tier_id(self, operator, value):
        return self._pr_search_members("pr_tier_id", [("tier_id", operator, value)])

    def _search_pr_points_available(self, operator, value):
        return self._pr_search_members("pr_points_available", [("points_available", operator, value)])

    def action_view_pr_ledger(self):
        self.ensure_one()
        self._pr_check_program_user()
        action = self.env["ir.actions.act_window"]._for_xml_id("positive_reinforcement.pr_ledger_entry_action")
        action["domain"] = [("partner_id", "=", self._pr_holder().id)]
        action["context"] = {"search_default_group_by_kind": 0}
        return action

    @api.depends_context("company")
    def _compute_pr_feedback_count(self):
        counts = self._pr_count_per_holder("pr.feedback")
        for partner in self:
            partner.pr_feedback_count = counts[partner]

    def action_view_pr_feedback(self):
        return self._pr_holder_action("positive_reinforcement.pr_feedback_action")

    def action_pr_invite_nps(self):
        """Invite these customers to the NPS survey, at most once per period each; says how many were skipped."""
        if not self.env.user.has_group("positive_reinforcement.positive_reinforcement_group_user"):
            raise AccessError(self.env._("Only Positive Reinforcement users can invite customers to the NPS survey."))
        invited = self.env["pr.feedback"]._invite_partners(self, self.env.company)
        skipped = len(self) - len(invited)
        message = self.env._("%(invited)s customers invited to the NPS survey.", invited=len(invited))
        if skipped:
            message = self.env._(
                "%(invited)s customers invited to the NPS survey, %(skipped)s skipped: invited within the last "
                "%(days)s days, no email address, or another contact of the same customer invited.",
                invited=len(invited),
                skipped=skipped,
                days=self.env.company.pr_nps_period_days,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("NPS Survey"),
                "message": message,
                "type": "warning" if skipped else "success",
                "sticky": False,
            },
        }
