import math

from odoo import api, fields, models
from odoo.exceptions import UserError

from .pr_i18n import _lt


class SaleOrder(models.Model):
    """Paying part of an order with points, through Odoo's own loyalty reward (see README, Points at checkout).

    The company's points program offers one reward, a discount per point worth the value of a point. It
    is applied as any Odoo reward (the *Reward* button, the eCommerce cart, *Pay with Points*), within the
    limits the manager sets; confirming the order posts the *redeem* entry of the ledger in the same
    transaction, and cancelling it, or a credit note, gives the points back through a reversal.
    """

    _inherit = "sale.order"  # pylint: disable=consider-merging-classes-inherited

    pr_checkout_enabled = fields.Boolean(related="company_id.pr_checkout_enabled")
    pr_points_spent = fields.Integer(
        string="Points Spent",
        compute="_compute_pr_points_spent",
        help="Points that pay part of this order, debited from the reward ledger when the order is confirmed.",
    )
    pr_spend_round = fields.Integer(
        copy=False,
        readonly=True,
        help="Technical: how many times the points spent on this order were given back (cancellations), so "
        "that a confirmation again spends them again.",
    )

    @api.depends("order_line.points_cost", "order_line.reward_id")
    def _compute_pr_points_spent(self):
        for order in self:
            order.pr_points_spent = round(sum(order._pr_points_lines().mapped("points_cost")))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_pr_pay_with_points(self):
        """Pay as much of this quotation with the customer's available points as the limits allow."""
        self.ensure_one()
        self.check_access("write")
        if self.state not in ("draft", "sent"):
            raise UserError(self.env._("Only a quotation can be paid with points."))
        if not self.pr_checkout_enabled:
            raise UserError(
                self.env._("Paying with points is not enabled in %(company)s.", company=self.company_id.name)
            )
        card = self._pr_checkout_card(create=True)
        if not card:
            raise UserError(
                self.env._("%(customer)s has no points to pay with.", customer=self.partner_id.display_name)
            )
        if card not in self.applied_coupon_ids:
            self.applied_coupon_ids += card
        self._update_programs_and_rewards()
        reward = card.sudo().program_id.reward_ids[:1]
        if reward in self.order_line.reward_id:
            return True
        refusal = self._pr_checkout_refusal(card)
        if refusal:
            raise UserError(refusal)
        outcome = self._apply_program_reward(reward, card)
        if outcome.get("error"):
            raise UserError(outcome["error"])
        return True

    # ------------------------------------------------------------
    # ODOO LOYALTY HOOKS
    # ------------------------------------------------------------

    def action_confirm(self):
        # Only orders of companies that have had a points program can carry points (no query: cached).
        used = self.env["res.company"]._pr_checkout_company_ids(ever=True)
        paying = self.filtered(lambda order: order.company_id.id in used) if used else self.browse()
        applied = {order.id: order.pr_points_spent for order in paying}
        for order in paying.filtered("pr_points_spent"):
            card = order._pr_points_lines().coupon_id[:1]
            if order._get_real_points_for_coupon(card) < 0:
                raise order._pr_unavailable_error(
                    self.env._(
                        "%(applied)s points were applied; %(customer)s has %(available)s available.",
                        applied=applied[order.id],
                        customer=card.partner_id.display_name,
                        available=int(card.points),
                    )
                )
        result = super().action_confirm()
        # Odoo updates the rewards first: a points line it shrank or dropped would charge more than was shown.
        for order in paying.filtered(lambda o: o.pr_points_spent < applied[o.id]):
            raise order._pr_unavailable_error(
                self.env._(
                    "%(applied)s points were applied; %(now)s can be spent now.",
                    applied=applied[order.id],
                    now=order.pr_points_spent,
                )
            )
        paying._pr_post_spent_points()
        return result

    def _action_cancel(self):
        used = self.env["res.company"]._pr_checkout_company_ids(ever=True)
        confirmed = self.filtered(lambda order: order.state == "sale" and order.company_id.id in used)
        result = super()._action_cancel()
        confirmed._pr_give_back_spent_points()
        return result

    def _update_programs_and_rewards(self):
        # Odoo loads the order's customer's own cards; with one balance per commercial entity the card is
        # the entity's.
        card = self._pr_checkout_card()
        if card and card.points > 0 and card not in self.applied_coupon_ids:
            self.applied_coupon_ids += card
        return super()._update_programs_and_rewards()

    def _get_point_changes(self):
        # The points of the points program move with the ledger (on confirmation and cancellation), not here.
        changes = super()._get_point_changes()
        return {coupon: change for coupon, change in changes.items() if not coupon.program_id.pr_is_mirror}

    def _get_claimable_rewards(self, forced_coupons=None):
        result = super()._get_claimable_rewards(forced_coupons=forced_coupons)
        for coupon in [coupon for coupon in result if coupon.program_id.pr_is_mirror]:
            if self._pr_checkout_refusal(coupon):
                del result[coupon]
        return result

    def _apply_program_reward(self, reward, coupon, **kwargs):
        if reward.program_id.pr_is_mirror:
            refusal = self._pr_checkout_refusal(coupon)
            if refusal:
                return {"error": refusal}
        return super()._apply_program_reward(reward, coupon, **kwargs)

    def _get_reward_values_discount(self, reward, coupon, **kwargs):
        if not reward.program_id.pr_is_mirror:
            return super()._get_reward_values_discount(reward, coupon, **kwargs)
        points, refusal = self._pr_checkout_points(coupon)
        if refusal:
            raise UserError(refusal)
        order = self.with_context(pr_checkout_points={coupon.id: points})
        return super(SaleOrder, order)._get_reward_values_discount(reward, coupon, **kwargs)

    def _get_real_points_for_coupon(self, coupon, post_confirm=False):
        points = super()._get_real_points_for_coupon(coupon, post_confirm=post_confirm)
        cap = self.env.context.get("pr_checkout_points", {}).get(coupon.id)
        return points if cap is None else min(points, cap)

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _pr_points_lines(self):
        return self.order_line.filtered(lambda line: line.reward_id and line.reward_id.program_id.pr_is_mirror)

    def _pr_checkout_card(self, create=False):
        """The card of the points program of this order's points holder, or an empty recordset.

        Odoo already loads the customer's own card; it is searched here only when the holder is another
        partner (the commercial entity), or when ``create`` asks for a card even without points yet.
        """
        self.ensure_one()
        company = self.company_id
        partner = self.partner_id
        if not partner or company.id not in self.env["res.company"]._pr_checkout_company_ids():
            return self.env["loyalty.card"]
        holder = partner.with_company(company)._pr_holder()
        if holder == partner and not create or partner.is_public:
            return self.env["loyalty.card"]
        return self.env["pr.member"]._pr_mirror_card(holder, company)

    def _pr_checkout_points(self, coupon):
        """How many points this order may spend from ``coupon``, and why it may not (or False).

        The points available on the card, less those other lines of the order use, within the company's
        limits (see ``res.company._pr_checkout_limit``); the order's total leaves out its points line.
        """
        self.ensure_one()
        company = self.company_id
        holder = self.partner_id.with_company(company)._pr_holder()
        if coupon.partner_id != holder:
            return 0, self.env._("These points belong to another customer than the one of this order.")
        lines = (self.order_line - self._pr_points_lines()).filtered(lambda line: not line.display_type)
        total = sum(lines.mapped("price_total"))
        if self.currency_id and self.currency_id != company.currency_id:
            total = self.currency_id._convert(total, company.currency_id, company, fields.Date.context_today(self))
        available = int(self._get_real_points_for_coupon(coupon))
        return company._pr_checkout_limit(holder, available, total)

    def _pr_checkout_refusal(self, coupon):
        return self._pr_checkout_points(coupon)[1]

    def _pr_spend_key(self):
        self.ensure_one()
        return f"sale.order:{self.id}:spend:{self.pr_spend_round}"

    def _pr_post_spent_points(self):
        """Debit the ledger for the points these confirmed orders are paid with, in this transaction.

        The ledger locks the customer and refuses to overdraw: two orders spending the same points at
        once cannot both be confirmed. The key of the order makes a second posting a no-op.
        """
        movements = [
            {
                "partner_id": order.partner_id.id,
                "company_id": order.company_id.id,
                "kind": "redeem",
                "points": -order.pr_points_spent,
                "reason": _lt("Order %(name)s", name=order.name),
                "source_model": "sale.order",
                "source_id": order.id,
                "idempotency_key": order._pr_spend_key(),
            }
            for order in self
            if order.state == "sale" and order.pr_points_spent > 0
        ]
        if not movements:
            return
        try:
            self.env["pr.ledger.entry"].sudo()._post_movements(movements)
        except UserError as error:
            raise self[:1]._pr_unavailable_error(error.args[0]) from error

    def _pr_unavailable_error(self, reason):
        return UserError(
            self.env._(
                "The points %(order)s is paid with are no longer available. Update its rewards (Reward button) "
                "and confirm it again.\n%(reason)s",
                order=self.name,
                reason=reason,
            )
        )

    def _pr_give_back_spent_points(self, reason=None, share=1.0, key_suffix="cancel"):
        """Give back (a ``share`` of) the points these orders were paid with, through reversals, once."""
        Ledger = self.env["pr.ledger.entry"].sudo()
        spends = Ledger.search(
            [("source_model", "=", "sale.order"), ("source_id", "in", self.ids), ("kind", "=", "redeem")]
        )
        if not spends:
            return Ledger
        orders = {order.id: order for order in self}
        movements = []
        for entry in spends:
            order = orders[entry.source_id]
            if key_suffix == "cancel" and entry.idempotency_key != order._pr_spend_key():
                continue
            left = -entry.reversible_points
            points = left if share >= 1.0 else min(left, math.floor(-entry.points * share + 1e-9))
            if points > 0:
                movements.append(
                    {
                        "reversed_entry_id": entry.id,
                        "points": points,
                        "reason": reason or _lt("Order %(name)s cancelled", name=order.name),
                        "source_model": "sale.order",
                        "source_id": order.id,
                        "idempotency_key": f"{entry.idempotency_key}:{key_suffix}",
                    }
                )
        reversals = Ledger._post_movements(movements)
        if key_suffix == "cancel":
            for order in self.filtered(lambda o: o.id in {e.source_id for e in spends}):
                order.sudo().pr_spend_round += 1
        return reversals
