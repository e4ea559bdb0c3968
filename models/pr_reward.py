from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .pr_i18n import field_translations, reader_lang
from .res_company import pr_can_do_tasks

KINDS = [
    ("coupon", "Coupon (discount or free product)"),
    ("ewallet", "eWallet credit"),
    ("gift", "Physical gift"),
    ("experience", "Experience or early access"),
    ("custom", "Custom reward"),
]
PROGRAM_KINDS = ("coupon", "ewallet")


class PrReward(models.Model):
    """Something a customer can get for points: a real Odoo coupon, eWallet credit, or a gift a person sends."""

    _name = "pr.reward"
    _inherit = ["image.mixin"]
    _description = "Reward"
    _order = "sequence, points_cost, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    description = fields.Html(translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(KINDS, required=True, default="coupon")
    points_cost = fields.Integer(string="Points", required=True, default=100)
    min_tier_id = fields.Many2one("pr.tier", string="Minimum Tier", help="Only customers of this tier or above.")
    limited_stock = fields.Boolean()
    stock = fields.Integer(help="How many are left.")
    limit_per_customer = fields.Integer(string="Limit per Customer", help="0 for no limit.")
    date_from = fields.Date(string="Available From")
    date_to = fields.Date(string="Available Until")
    program_id = fields.Many2one(
        "loyalty.program",
        check_company=True,
        help="Coupon: the coupon program whose coupon the customer receives. eWallet: the eWallet program credited.",
    )
    ewallet_amount = fields.Monetary(string="eWallet Credit")
    cost = fields.Monetary(
        string="Cost to Us",
        help="What one redemption costs the business (the coupon's discount, the gift's price); eWallet rewards "
        "cost their credit when left empty.",
    )
    responsible_id = fields.Many2one(
        "res.users",
        string="Fulfilled By",
        help="Who gets the task to send a gift or organise an experience. Empty or archived: whoever looks after "
        "the customer (salesperson, sales team leader, the company's loyalty tasks user).",
    )
    redemption_ids = fields.One2many("pr.redemption", "reward_id")
    redemption_count = fields.Integer(string="Redemptions", compute="_compute_redemption_count")

    _points_cost_positive = models.Constraint("CHECK(points_cost > 0)", "A reward must cost points.")
    _stock_positive = models.Constraint("CHECK(stock >= 0)", "The stock cannot be negative.")
    _limit_positive = models.Constraint("CHECK(limit_per_customer >= 0)", "The limit cannot be negative.")
    _cost_positive = models.Constraint("CHECK(cost IS NULL OR cost >= 0)", "The cost to us cannot be negative.")
    _ewallet_amount_positive = models.Constraint(
        "CHECK(ewallet_amount IS NULL OR ewallet_amount >= 0)", "The eWallet credit cannot be negative."
    )

    def _compute_redemption_count(self):
        counts = dict(
            self.env["pr.redemption"]._read_group(
                [("reward_id", "in", self.ids), ("state", "=", "done")], ["reward_id"], ["__count"]
            )
        )
        for reward in self:
            reward.redemption_count = counts.get(reward, 0)

    @api.constrains("kind", "program_id", "ewallet_amount")
    def _check_program(self):
        for reward in self:
            if reward.kind == "coupon" and reward.program_id.program_type not in (
                "coupons",
                "promotion",
                "next_order_coupons",
                "gift_card",
            ):
                raise ValidationError(self.env._("The reward %(reward)s needs a coupon program.", reward=reward.name))
            if reward.kind == "ewallet" and (reward.program_id.program_type != "ewallet" or reward.ewallet_amount <= 0):
                raise ValidationError(
                    self.env._("The reward %(reward)s needs an eWallet program and an amount.", reward=reward.name)
                )

    # ------------------------------------------------------------
    # CATALOGUE
    # ------------------------------------------------------------

    @api.model
    def _catalogue_for(self, partner):
        """The rewards this customer sees, each with whether it can be redeemed now and why not.

        :return: list of ``(reward, reason)``; ``reason`` is False when the reward can be redeemed
        """
        holder = partner._pr_holder()
        rewards = self.search([("company_id", "=", self.env.company.id)])
        member = (
            self.env["pr.member"]
            .sudo()
            .search([("partner_id", "=", holder.id), ("company_id", "=", self.env.company.id)])
        )
        used = dict(
            self.env["pr.redemption"]
            .sudo()
            ._read_group(
                [("partner_id", "=", holder.id), ("state", "=", "done"), ("reward_id", "in", rewards.ids)],
                ["reward_id"],
                ["__count"],
            )
        )
        ranks = {tier: rank for rank, tier in enumerate(self.env["pr.tier"].sudo()._get_ranked(self.env.company))}
        return [(reward, reward._refusal(member, used.get(reward, 0), ranks)) for reward in rewards]

    def _refusal(self, member, used, ranks):
        """Why this reward cannot be redeemed by ``member`` now, or False."""
        self.ensure_one()
        today = self.company_id._pr_today()
        if not self.active or (self.date_from and today < self.date_from) or (self.date_to and today > self.date_to):
            return self.env._("%(reward)s is not available now.", reward=self.name)
        if self.limited_stock and self.stock <= 0:
            return self.env._("%(reward)s is out of stock.", reward=self.name)
        if self.min_tier_id and ranks.get(member.tier_id, -1) < ranks.get(self.min_tier_id, 0):
            return self.env._(
                "%(reward)s is for %(tier)s customers and above.", reward=self.name, tier=self.min_tier_id.name
            )
        if self.limit_per_customer and used >= self.limit_per_customer:
            return self.env._(
                "%(reward)s can be redeemed %(count)s times per customer.",
                reward=self.name,
                count=self.limit_per_customer,
            )
        if self.kind in PROGRAM_KINDS and not self.sudo().program_id.active:
            return self.env._("The program of %(reward)s is archived.", reward=self.name)
        if member.points_available < self.points_cost:
            return self.env._(
                "%(reward)s costs %(cost)s points; %(available)s are available.",
                reward=self.name,
                cost=self.points_cost,
                available=member.points_available,
            )
        return False

    # ------------------------------------------------------------
    # REDEEMING
    # ------------------------------------------------------------

    def _redeem(self, partner, key):
        """Redeem this reward for ``partner``: the ledger debit and the coupon or fulfilment, together.

        ``key`` makes a double click redeem once: the same key returns the same redemption. Two
        redemptions at the same time cannot overdraw (the ledger locks the member) nor take the last
        item twice (the stock is decremented in SQL, only while some is left).

        All or nothing, also for a caller that catches the error and goes on (the portal shows it and
        commits): a failure after the stock was taken gives back the stock, the debit and the coupon.
        """
        self.ensure_one()
        with self.env.cr.savepoint():
            return self._redeem_in_savepoint(partner, key)

    def _redeem_in_savepoint(self, partner, key):
        Redemption = self.env["pr.redemption"].sudo()
        existing = Redemption.search([("idempotency_key", "=", key), ("company_id", "=", self.company_id.id)])
        if existing:
            return existing
        holder = partner._pr_holder()
        member = (
            self.env["pr.member"]
            .sudo()
            .search([("partner_id", "=", holder.id), ("company_id", "=", self.company_id.id)])
        )
        used = Redemption.search_count(
            [("partner_id", "=", holder.id), ("reward_id", "=", self.id), ("state", "=", "done")]
        )
        ranks = {tier: rank for rank, tier in enumerate(self.env["pr.tier"].sudo()._get_ranked(self.company_id))}
        refusal = self._refusal(member, used, ranks)
        if refusal:
            raise UserError(refusal)
        if self.limited_stock:
            self.env.cr.execute(
                SQL("UPDATE pr_reward SET stock = stock - 1 WHERE id = %s AND stock > 0 RETURNING stock", self.id)
            )
            if not self.env.cr.fetchone():
                raise UserError(self.env._("%(reward)s is out of stock.", reward=self.name))
            self.invalidate_recordset(["stock"])
        entry = (
            self.env["pr.ledger.entry"]
            .sudo()
            ._post_movements(
                [
                    {
                        "partner_id": holder.id,
                        "company_id": self.company_id.id,
                        "kind": "redeem",
                        "points": -self.points_cost,
                        "reason": field_translations(self, "name")[self.id],
                        "source_model": self._name,
                        "source_id": self.id,
                        "idempotency_key": f"redeem:{key}",
                    }
                ]
            )
        )
        redemption = Redemption.create(
            {
                "partner_id": holder.id,
                "reward_id": self.id,
                "company_id": self.company_id.id,
                "points": self.points_cost,
                "cost": self.cost or (self.ewallet_amount if self.kind == "ewallet" else 0.0),
                "entry_id": entry.id,
                **self.sudo()._deliver(holder),
                "idempotency_key": key,
            }
        )
        redemption._pr_emit_redeemed()
        return redemption

    def _deliver(self, holder):
        """The coupon or eWallet card for program rewards; a task for a person otherwise.

        :return: the redemption's values: its ``coupon_id`` or its fulfilment ``activity_id``
        """
        Card = self.env["loyalty.card"].sudo()
        if self.kind == "coupon":
            points = min(self.program_id.reward_ids.mapped("required_points") or [1.0])
            card = Card.create({"program_id": self.program_id.id, "partner_id": holder.id, "points": points})
            return {"coupon_id": card.id}
        if self.kind == "ewallet":
            card = Card.search([("program_id", "=", self.program_id.id), ("partner_id", "=", holder.id)], limit=1)
            if card:
                card.points += self.ewallet_amount
            else:
                card = Card.create(
                    {"program_id": self.program_id.id, "partner_id": holder.id, "points": self.ewallet_amount}
                )
            return {"coupon_id": card.id}
        user = self._fulfilment_user(holder)
        reward = self.with_context(lang=reader_lang(self.env, user, self.company_id))  # the task is theirs to read
        activity = holder.sudo().activity_schedule(
            "positive_reinforcement.mail_activity_type_pr_reward_fulfilment",
            summary=reward.env._("Fulfil the reward: %(reward)s", reward=reward.name),
            user_id=user.id,
        )
        return {"activity_id": activity.id}

    def _fulfilment_user(self, holder):
        """The reward's *Fulfilled By* while they can do it, else whoever looks after the customer."""
        responsible = self.sudo().responsible_id
        if pr_can_do_tasks(responsible):
            return responsible
        return self.company_id._pr_task_users(holder)[holder]
