import hashlib
import json
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, email_normalize

from ..pr_lib.referral import normalize_code

STATES = [
    ("invited", "Invited"),
    ("signed_up", "Signed up"),
    ("review", "To review"),
    ("qualified", "Qualified"),
    ("rewarded", "Rewarded"),
    ("rejected", "Rejected"),
]
OPEN_STATES = ("invited", "signed_up")


class PrReferral(models.Model):
    """One friend referred by one customer, from the first contact to the rewards of both."""

    _name = "pr.referral"
    _inherit = ["mail.thread"]
    _description = "Referral"
    _order = "date desc, id desc"
    _rec_name = "friend_name"
    _check_company_auto = True

    referrer_id = fields.Many2one(
        "res.partner", string="Referred By", required=True, index=True, ondelete="restrict", tracking=True
    )
    friend_partner_id = fields.Many2one("res.partner", string="Friend", index="btree_not_null", ondelete="restrict")
    friend_lead_id = fields.Many2one(
        "crm.lead", string="Friend's Opportunity", index="btree_not_null", ondelete="set null"
    )
    friend_name = fields.Char(compute="_compute_friend_name", store=True)
    friend_email = fields.Char(help="The address the invitation went to.")
    code = fields.Char(string="Referral Code", readonly=True)
    channel = fields.Selection(
        [("link", "Referral link"), ("invite", "Email invitation"), ("manual", "Set by a salesperson")],
        default="manual",
        required=True,
        readonly=True,
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Datetime(string="Referred On", required=True, default=fields.Datetime.now, readonly=True)
    signup_date = fields.Datetime(string="Signed Up On", readonly=True)
    qualified_date = fields.Datetime(string="Qualified On", readonly=True)
    rewarded_date = fields.Datetime(string="Rewarded On", readonly=True)
    state = fields.Selection(STATES, default="signed_up", required=True, readonly=True, index=True, tracking=True)
    flag_codes = fields.Json(
        string="Review Reason Codes",
        readonly=True,
        copy=False,
        help="Why the referral waits for review, as codes: the reasons are shown in the reader's language.",
    )
    flags = fields.Text(string="Review Reasons", compute="_compute_flags")
    reject_reason = fields.Char(tracking=True)
    order_id = fields.Many2one("sale.order", string="Qualifying Order", readonly=True, ondelete="set null")
    order_amount = fields.Monetary(readonly=True)
    event_id = fields.Many2one("pr.event", string="Referrer's Reward", readonly=True, ondelete="set null")
    coupon_id = fields.Many2one("loyalty.card", string="Friend's Welcome Coupon", readonly=True, ondelete="set null")
    ip_hash = fields.Char(readonly=True, groups="base.group_system", help="Salted hash of the network address, purged.")

    _friend_uniq = models.UniqueIndex(
        "(company_id, friend_partner_id) WHERE friend_partner_id IS NOT NULL",
        "This friend was already referred.",
    )
    _lead_uniq = models.UniqueIndex(
        "(friend_lead_id) WHERE friend_lead_id IS NOT NULL", "This opportunity was already referred."
    )

    # The lead's names as they were when it was referred: following later edits of every lead would cost each
    # lead write a search of the referrals (crm's assignment and conversion write leads by the hundred).
    @api.depends("friend_partner_id.name", "friend_lead_id", "friend_email")
    def _compute_friend_name(self):
        for referral in self:
            lead = referral.friend_lead_id
            referral.friend_name = (
                referral.friend_partner_id.name
                or lead.contact_name
                or lead.partner_name
                or referral.friend_email
                or self.env._("Unknown friend")
            )

    @api.depends("flag_codes")
    @api.depends_context("lang")
    def _compute_flags(self):
        texts = self._flag_texts()
        for referral in self:
            lines = [texts[code](params) for code, params in referral.flag_codes or [] if code in texts]
            referral.flags = "\n".join(lines) or False

    def _flag_texts(self):
        """``{code: function(params) -> text}``: the review reasons, in the language of the environment."""

        def self_referral(reason):
            return lambda params: self.env._("Self-referral: %(reason)s.", reason=reason)

        return {
            "same_email": self_referral(self.env._("same email address")),
            "same_phone": self_referral(self.env._("same phone number")),
            "same_vat": self_referral(self.env._("same tax ID")),
            "same_address": self_referral(self.env._("same delivery address")),
            "circular": lambda params: self.env._("Circular referral: the friend referred the referrer."),
            "existing_customer": lambda params: self.env._("The friend was already a customer."),
            "cap": lambda params: self.env._(
                "The referrer has more than %(cap)s qualified referrals this month.", cap=params.get("cap")
            ),
            "network": lambda params: self.env._("Many signups from the same network address."),
            "legacy": lambda params: params.get("text", ""),  # a reason stored as text before the codes
        }

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_approve(self):
        """A manager clears the review flags: the referral is rewarded."""
        self._check_manager()
        todo = self.filtered(lambda r: r.state == "review")
        todo.write({"state": "qualified", "qualified_date": fields.Datetime.now()})
        todo.sudo()._reward()
        return True

    def action_reject(self):
        self._check_manager()
        for referral in self:
            if not (referral.reject_reason or "").strip():
                raise UserError(
                    self.env._(
                        "Give the reason why the referral of %(friend)s is rejected.", friend=referral.friend_name
                    )
                )
        self.filtered(lambda r: r.state not in ("rewarded", "rejected")).write({"state": "rejected"})
        return True

    def _check_manager(self):
        if not self.env.user.has_group("positive_reinforcement.positive_reinforcement_group_manager"):
            raise AccessError(self.env._("Only a Positive Reinforcement manager can review referrals."))

    # ------------------------------------------------------------
    # CREATING
    # ------------------------------------------------------------

    @api.model
    def _find_referrer(self, code):
        """The customer behind a referral code, or an empty recordset, with the same work either way."""
        normalized = normalize_code(code) or "-"
        self.env["res.partner"].flush_model(["pr_referral_code", "active"])
        self.env.cr.execute(SQL("SELECT id FROM res_partner WHERE pr_referral_code = %s AND active", normalized))
        row = self.env.cr.fetchone()
        return self.env["res.partner"].browse(row[0] if row else [])

    @api.model
    def _check_can_attribute(self):
        """Only the engine (sudo: landing page, signup, portal invitation) and the addon's users attribute.

        A referral pays its referrer: a salesperson outside the addon's groups who could name one,
        then win the opportunity or confirm an order, would hand out points at will.
        """
        if not self.env.su and not self.env.user.has_group("positive_reinforcement.positive_reinforcement_group_user"):
            raise AccessError(self.env._("Only Positive Reinforcement users can set who referred a customer."))

    @api.model
    def _refer(self, referrer, friend=None, lead=None, channel="manual", code=None, ip=None, email=None, state=None):
        """Create the referral of ``friend`` (a partner) or ``lead`` by ``referrer``, or refuse with the reason."""
        self._check_can_attribute()
        self._check_new_referral(referrer, friend, lead)
        email = email or (friend.email if friend else lead.email_from if lead else False)
        values = {
            "referrer_id": referrer.commercial_partner_id.id,
            "friend_partner_id": friend.id if friend else False,
            "friend_lead_id": lead.id if lead else False,
            "friend_email": email_normalize(email or "") or email,
            "code": code or referrer.commercial_partner_id.pr_referral_code,
            "channel": channel,
            "state": state or "signed_up",
            "signup_date": fields.Datetime.now() if (state or "signed_up") == "signed_up" else False,
        }
        if ip:
            values["ip_hash"] = self._hash_ip(ip)
        referral = self.sudo().create(values)
        if lead and not lead.referred:
            # crm's own "Referred By", read by every salesperson, from the first minute
            lead.sudo().referred = referrer.commercial_partner_id.name
        self._invalidate_friends()
        return referral

    @api.model
    def _invalidate_friends(self):
        """The partners' and leads' referral fields are computed from the referrals: forget them."""
        self.env["res.partner"].invalidate_model(
            ["pr_referral_id", "pr_referred_by_id", "pr_referred_by_code", "pr_referral_count"]
        )
        self.env["crm.lead"].invalidate_model(["pr_referral_id", "pr_referred_by_id", "pr_referred_by_code"])

    @api.model
    def _check_new_referral(self, referrer, friend, lead):
        if not referrer or not referrer.active:
            raise UserError(self.env._("This referral code is not valid."))
        family = referrer.commercial_partner_id
        if friend and friend.commercial_partner_id == family:
            raise UserError(self.env._("A customer cannot refer themselves."))
        if lead and lead.partner_id and lead.partner_id.commercial_partner_id == family:
            raise UserError(self.env._("A customer cannot refer themselves."))
        if lead and lead.email_normalized:
            own = (
                self.env["res.partner"]
                .sudo()
                .search_count(
                    [("commercial_partner_id", "=", family.id), ("email_normalized", "=", lead.email_normalized)],
                    limit=1,
                )
            )
            if own:
                raise UserError(
                    self.env._(
                        "A customer cannot refer themselves: %(email)s is the email address of %(referrer)s.",
                        email=lead.email_normalized,
                        referrer=family.name,
                    )
                )
        domain = []
        if friend:
            domain = [("friend_partner_id", "=", friend.id)]
        elif lead:
            domain = [("friend_lead_id", "=", lead.id)]
        if domain and self.sudo().search_count(domain + [("company_id", "=", self.env.company.id)], limit=1):
            raise UserError(self.env._("%(friend)s was already referred.", friend=(friend or lead).display_name))

    @api.model
    def _hash_ip(self, ip):
        """A salted hash of a network address: enough to count signups, useless to find the person."""
        params = self.env["ir.config_parameter"].sudo()
        salt = params.get_param("positive_reinforcement.ip_salt")
        if not salt:
            salt = secrets.token_hex(16)
            params.set_param("positive_reinforcement.ip_salt", salt)
        return hashlib.sha256(f"{salt}:{ip}".encode()).hexdigest()

    # ------------------------------------------------------------
    # QUALIFYING
    # ------------------------------------------------------------

    @api.model
    def _qualify_for_partners(self, partners, open_ids=None):
        """Qualify the open referrals of these friends (their order was just confirmed or paid).

        :param open_ids: their open referrals, when already read (``_pr_open_sql``)
        """
        if not partners:
            return self.browse()
        if open_ids is None:
            # One query from the contacts (an order's customer is rarely read on the order's paths).
            self.flush_model(["state", "friend_partner_id", "date"])
            self.env["res.partner"].flush_model(["commercial_partner_id"])
            open_ids = [row[0] for row in self.env.execute_query(self._pr_open_sql(partners))]
        return self.sudo().browse(dict.fromkeys(open_ids))._qualify()

    @api.model
    def _pr_open_sql(self, partners):
        """The SELECT of the ids of the open referrals whose friend is one of ``partners``, latest first."""
        return SQL(
            """
            SELECT r.id FROM pr_referral r
              JOIN res_partner friend ON friend.id = r.friend_partner_id
              JOIN res_partner buyer ON buyer.commercial_partner_id = friend.commercial_partner_id
             WHERE buyer.id = ANY(%s) AND r.state IN %s
             ORDER BY r.date DESC, r.id DESC
            """,
            list(partners.ids),
            tuple(OPEN_STATES),
        )

    def _qualify(self):
        """Qualify these open referrals whose friend made a qualifying first purchase, or won an opportunity.

        The friend's first purchase (a confirmed, or paid, order per the company's setting) must reach
        the minimum amount within the qualifying days after the referral. Referrals raising a fraud
        flag wait for a manager in the review queue; the others are rewarded at once. Set-based: a
        batch of a thousand referrals costs a few dozen queries.
        """
        referrals = self.filtered(lambda r: r.state in OPEN_STATES)
        if not referrals:
            return self.browse()
        orders = referrals._qualifying_orders()
        qualifying = referrals.filtered(lambda r: r.id in orders or r.friend_lead_id.won_status == "won")
        if not qualifying:
            return self.browse()
        flags = qualifying._fraud_flags()
        ids = qualifying.ids
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE pr_referral r
                   SET state = CASE WHEN d.flags IS NULL THEN 'qualified' ELSE 'review' END,
                       qualified_date = CASE WHEN d.flags IS NULL THEN %s END,
                       flag_codes = d.flags::jsonb, order_id = d.order_id, order_amount = d.amount,
                       write_uid = %s, write_date = %s
                  FROM unnest(%s::int[], %s::text[], %s::int[], %s::numeric[]) AS d(id, flags, order_id, amount)
                 WHERE r.id = d.id
                """,
                fields.Datetime.now(),
                self.env.uid,
                fields.Datetime.now(),
                ids,
                [json.dumps(flags[i]) if i in flags else None for i in ids],
                [orders.get(i, (None, 0))[0] for i in ids],
                [orders.get(i, (None, 0))[1] for i in ids],
            )
        )
        qualifying.invalidate_recordset()
        qualifying.filtered(lambda r: r.state == "qualified")._reward()
        return qualifying

    def _qualifying_orders(self):
        """``{referral id: (order id, amount)}`` of the friend's first qualifying order, in one query."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (r.id) r.id, so.id, so.amount_untaxed
                  FROM pr_referral r
                  JOIN res_company c ON c.id = r.company_id
                  JOIN res_partner friend ON friend.id = r.friend_partner_id
                  JOIN res_partner buyer ON buyer.commercial_partner_id = friend.commercial_partner_id
                  JOIN sale_order so ON so.partner_id = buyer.id AND so.company_id = r.company_id
                 WHERE r.id = ANY(%s)
                   AND so.state = 'sale'
                   AND so.date_order >= r.date
                   AND so.date_order <= r.date + make_interval(days => c.pr_referral_days)
                   AND so.amount_untaxed >= COALESCE(c.pr_referral_min_amount, 0)
                   AND (c.pr_referral_qualify_on = 'confirmed' OR EXISTS (
                        SELECT 1 FROM sale_order_line sol
                          JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
                          JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                          JOIN account_move am ON am.id = aml.move_id
                         WHERE sol.order_id = so.id AND am.move_type = 'out_invoice' AND am.state = 'posted'
                           AND am.payment_state IN ('paid', 'in_payment')))
                 ORDER BY r.id, so.date_order, so.id
                """,
                self.ids,
            )
        )
        return {row[0]: (row[1], row[2]) for row in self.env.cr.fetchall()}

    # ------------------------------------------------------------
    # REWARDING
    # ------------------------------------------------------------

    def _reward(self):
        """Both sides: the referral behaviour for the referrer (reward rules decide the points) and a
        welcome coupon for the friend, from the company's coupon program, usable on the next order."""
        if not self:
            return
        behavior = self.env.ref("positive_reinforcement.pr_behavior_referral")
        welcome = self.env.ref("positive_reinforcement.pr_behavior_referral_welcome")
        values = []
        for referral in self:
            common = {
                "company_id": referral.company_id.id,
                "value": referral.order_amount,
                "source_model": self._name,
                "source_id": referral.id,
            }
            values.append(
                {
                    **common,
                    "partner_id": referral.referrer_id.id,
                    "behavior_id": behavior.id,
                    "idempotency_key": f"pr.referral:{referral.id}",
                }
            )
            # The friend's side goes through reward rules too (welcome points), besides the coupon.
            if friend := referral.friend_partner_id or referral.friend_lead_id.partner_id:
                values.append(
                    {
                        **common,
                        "partner_id": friend.id,
                        "behavior_id": welcome.id,
                        "idempotency_key": f"pr.referral:{referral.id}:welcome",
                    }
                )
        recorded = self.env["pr.event"]._record(values)
        events = recorded.filtered(lambda event: event.behavior_id == behavior)
        coupons = self._issue_welcome_coupons()
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE pr_referral r SET state = 'rewarded', rewarded_date = %s, event_id = d.event_id,
                       coupon_id = COALESCE(r.coupon_id, d.coupon_id), write_uid = %s, write_date = %s
                  FROM unnest(%s::int[], %s::int[], %s::int[]) AS d(id, event_id, coupon_id)
                 WHERE r.id = d.id
                """,
                fields.Datetime.now(),
                self.env.uid,
                fields.Datetime.now(),
                self.ids,
                events.ids,
                [coupons.get(referral.id) for referral in self],
            )
        )
        self.invalidate_recordset()
        self._pr_emit_qualified()

    def _pr_emit_qualified(self):
        """Tell the automated rules on *Loyalty Events Out* of these qualified referrals (nothing when none listens)."""
        self.env["pr.outgoing.event"]._pr_emit(
            {
                "kind": "referral_qualified",
                "partner_id": referral.referrer_id.id,
                "company_id": referral.company_id.id,
                "res_model": self._name,
                "res_id": referral.id,
                "payload": {
                    "referral_code": referral.code or False,
                    "friend_partner_id": referral.friend_partner_id.id or False,
                    "friend_lead_id": referral.friend_lead_id.id or False,
                    "order_id": referral.order_id.id or False,
                    "order_amount": referral.order_amount or 0.0,
                    "coupon_id": referral.coupon_id.id or False,
                },
            }
            for referral in self
        )

    def _issue_welcome_coupons(self):
        """``{referral id: coupon id}``: one coupon per friend, from each company's welcome program."""
        values, owners = [], []
        for referral in self:
            program = referral.company_id.pr_referral_coupon_program_id
            friend = referral.friend_partner_id or referral.friend_lead_id.partner_id
            if not program or not friend or referral.coupon_id:
                continue
            if not program.active:
                raise UserError(self.env._("The welcome coupon program %(program)s is archived.", program=program.name))
            points = min(program.reward_ids.mapped("required_points") or [1.0])
            values.append({"program_id": program.id, "partner_id": friend.id, "points": points})
            owners.append(referral.id)
        Card = self.env["loyalty.card"].sudo().with_context(mail_create_nolog=True, tracking_disable=True)
        coupons = Card.create(values) if values else []
        return dict(zip(owners, [coupon.id for coupon in coupons], strict=True))

    # ------------------------------------------------------------
    # CRONS
    # ------------------------------------------------------------

    @api.model
    def _cron_qualify_referrals(self, batch_size=1000):
        cron = self.env["ir.cron"]
        last_id = 0
        while referrals := self.sudo().search(
            [("state", "in", OPEN_STATES), ("id", ">", last_id)], order="id", limit=batch_size
        ):
            referrals._qualify()
            last_id = referrals[-1].id
            if not cron._commit_progress(len(referrals)):
                break

    @api.model
    def _cron_purge_network_addresses(self):
        """Forget network address hashes older than the retention of each company.

        The referral page's leads keep theirs a day only: it serves the hourly limit, nothing else.
        """
        self.env["crm.lead"].flush_model(["pr_join_ip_hash"])
        self.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET pr_join_ip_hash = NULL WHERE pr_join_ip_hash IS NOT NULL AND create_date < %s",
                fields.Datetime.now() - timedelta(days=1),
            )
        )
        self.env["crm.lead"].invalidate_model(["pr_join_ip_hash"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE pr_referral r SET ip_hash = NULL
                  FROM res_company c
                 WHERE c.id = r.company_id AND r.ip_hash IS NOT NULL
                   AND r.date < %s - make_interval(days => c.pr_referral_ip_retention_days)
                """,
                fields.Datetime.now(),
            )
        )
        self.invalidate_model(["ip_hash"])
