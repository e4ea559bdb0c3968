import math

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .pr_i18n import _lt

PAID_STATES = ("paid", "done", "invoiced")


class PosOrder(models.Model):
    """Earning and spending points at the till, with the ledger as the single truth.

    A paid order records *Purchase* and *First purchase* (automated rules, as for sales orders), and
    debits the points it is paid with in the transaction that saves it as paid; a refund takes back
    the points earned on the refunded lines and gives back the points spent, in proportion, once. An
    order synced twice is saved once by the POS, and each movement carries the key of its order.
    """

    _inherit = "pos.order"

    pr_amount_untaxed = fields.Monetary(
        string="Untaxed Amount",
        compute="_compute_pr_amount_untaxed",
        help="What a purchase is worth to the reward rules: the total without taxes.",
    )
    pr_is_first_order = fields.Boolean(
        string="First Purchase",
        compute="_compute_pr_is_first_order",
        help="The first paid order of the customer's commercial entity, across sales orders and the Point of Sale.",
    )

    @api.depends("amount_total", "amount_tax")
    def _compute_pr_amount_untaxed(self):
        for order in self:
            order.pr_amount_untaxed = order.amount_total - order.amount_tax

    @api.depends("state", "partner_id.commercial_partner_id", "date_order")
    def _compute_pr_is_first_order(self):
        self.env.flush_all()
        first = set()
        if self.ids:
            self.env.cr.execute(
                SQL(
                    """
                SELECT o.id FROM pos_order o JOIN res_partner p ON p.id = o.partner_id
                 WHERE o.id = ANY(%(ids)s) AND o.state IN %(paid)s AND o.amount_total > 0
                   AND NOT EXISTS (
                       SELECT 1 FROM pos_order e JOIN res_partner ep ON ep.id = e.partner_id
                        WHERE ep.commercial_partner_id = p.commercial_partner_id AND e.state IN %(paid)s
                          AND e.amount_total > 0 AND (e.date_order, e.id) < (o.date_order, o.id))
                   AND NOT EXISTS (
                       SELECT 1 FROM sale_order s JOIN res_partner sp ON sp.id = s.partner_id
                        WHERE sp.commercial_partner_id = p.commercial_partner_id AND s.state = 'sale'
                          AND s.date_order <= o.date_order)
                """,
                    ids=self.ids,
                    paid=PAID_STATES,
                )
            )
            first = {row[0] for row in self.env.cr.fetchall()}
        for order in self:
            order.pr_is_first_order = order.id in first

    # ------------------------------------------------------------
    # POS HOOKS
    # ------------------------------------------------------------

    def _process_saved_order(self, draft):
        result = super()._process_saved_order(draft)
        if self.state in PAID_STATES:
            # Refused here, the whole synchronisation is: the till keeps the order and tells why.
            self._pr_post_spent_points()
            self._pr_refund_points()
        return result

    # ------------------------------------------------------------
    # SPENDING
    # ------------------------------------------------------------

    def _pr_points_lines(self):
        return self.lines.filtered(lambda line: line.reward_id.program_id.pr_is_mirror and line.qty > 0)

    def _pr_post_spent_points(self):
        """Debit the ledger for the points this paid order is paid with, within the manager's limits."""
        self.ensure_one()
        lines = self._pr_points_lines()
        points = round(sum(lines.mapped("points_cost")))
        if points <= 0:
            return self.env["pr.ledger.entry"]
        company = self.company_id
        if not company.pr_checkout_enabled:
            raise UserError(self.env._("Paying with points is not enabled in %(company)s.", company=company.name))
        if not self.partner_id:
            raise UserError(self.env._("Choose the customer whose points pay the order %(order)s.", order=self.name))
        holder = self.partner_id.with_company(company)._pr_holder()
        member = self.env["pr.member"].sudo().search([("partner_id", "=", holder.id), ("company_id", "=", company.id)])
        total = self.amount_total - sum(lines.mapped("price_subtotal_incl"))
        allowed, refusal = company._pr_checkout_limit(holder, member.points_available, total)
        if refusal:
            raise UserError(refusal)
        if points > allowed + 1:  # a point of rounding between the till and the server
            raise UserError(
                self.env._(
                    "The order %(order)s spends %(points)s points; at most %(allowed)s are allowed.",
                    order=self.name,
                    points=points,
                    allowed=allowed,
                )
            )
        return (
            self.env["pr.ledger.entry"]
            .sudo()
            ._post_movements(
                [
                    {
                        "partner_id": self.partner_id.id,
                        "company_id": company.id,
                        "kind": "redeem",
                        "points": -points,
                        "reason": _lt("Point of Sale order %(name)s", name=self.name),
                        "source_model": "pos.order",
                        "source_id": self.id,
                        "idempotency_key": f"pos.order:{self.id}:spend",
                    }
                ]
            )
        )

    # ------------------------------------------------------------
    # REFUNDS
    # ------------------------------------------------------------

    def _pr_refund_points(self):
        """A refund takes back the points earned on the refunded lines and gives back the points spent.

        As a credit note does for a sales order: the share of the original order refunded so far (its
        paid refunds' lines over its own, untaxed, points line left out) of the points of a rule *In
        proportion* and of the points spent; all the points of a rule *Only when fully refunded* once the
        whole order is. Never twice, never more than is left of an entry.
        """
        self.ensure_one()
        originals = self.lines.refunded_orderline_id.order_id
        if not originals:
            return self.env["pr.ledger.entry"]
        # Behaviours of the original orders still waiting for the processing cron are processed first.
        events = (
            self.env["pr.event"]
            .sudo()
            .search([("source_model", "=", "pos.order"), ("source_id", "in", originals.ids), ("state", "=", "pending")])
        )
        if events:
            events._pr_process()
        Ledger = self.env["pr.ledger.entry"].sudo()
        entries = Ledger.search(
            [("source_model", "=", "pos.order"), ("source_id", "in", originals.ids), ("kind", "in", ("earn", "redeem"))]
        )
        if not entries:
            return Ledger
        shares = originals._pr_refunded_shares()
        full_only = {
            entry.id
            for (entry,) in self.env["pr.event.decision"]
            .sudo()
            ._read_group([("entry_id", "in", entries.ids), ("rule_id.refund_policy", "=", "full_refund")], ["entry_id"])
        }
        taken = dict.fromkeys(entries.ids, 0)
        for entry, points in Ledger._read_group(
            [("reversed_entry_id", "in", entries.ids), ("source_model", "=", "pos.order")],
            ["reversed_entry_id"],
            ["points:sum"],
        ):
            taken[entry.id] += abs(points)
        movements = []
        for entry in entries:
            share, full = shares[entry.source_id]
            size = abs(entry.points)
            if entry.id in full_only:
                target = size if full else 0
            else:
                target = size if full else min(size, math.floor(size * share + 1e-9))
            points = min(abs(entry.reversible_points), target - taken[entry.id])
            if points > 0:
                movements.append(
                    {
                        "reversed_entry_id": entry.id,
                        "points": points if entry.points < 0 else -points,
                        "reason": _lt("Point of Sale refund %(name)s", name=self.name),
                        "source_model": "pos.order",
                        "source_id": self.id,
                        "idempotency_key": f"pos.order:{self.id}:refund:{entry.id}:{target}",
                    }
                )
        return Ledger._post_movements(movements)

    def _pr_refunded_shares(self):
        """``{order id: (share refunded, fully refunded)}`` of these orders by all their paid refunds (untaxed,
        points lines left out)."""
        Line = self.env["pos.order.line"].sudo()
        returned = dict.fromkeys(self.ids, 0.0)
        for order, amount in Line._read_group(
            [
                ("refunded_orderline_id.order_id", "in", self.ids),
                ("order_id.state", "in", PAID_STATES),
                ("reward_id", "=", False),
            ],
            ["refunded_orderline_id.order_id"],
            ["price_subtotal:sum"],
        ):
            returned[order.id] -= amount
        shares = {}
        for order in self:
            base = sum(order.lines.filtered(lambda line: not line.reward_id).mapped("price_subtotal"))
            if base <= 0:
                shares[order.id] = (0.0, False)
            elif order.currency_id.compare_amounts(returned[order.id], base) >= 0:
                shares[order.id] = (1.0, True)
            else:
                shares[order.id] = (returned[order.id] / base, False)
        return shares
