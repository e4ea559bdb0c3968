from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _pr_cart_points_info(self):
        """What the cart tells a signed-in customer about paying with points, or False.

        :return: ``{"points", "tier", "refusal"}``: the points available, the customer's tier name and why
            the points cannot pay this cart (False when they can, or when they already do)
        """
        self.ensure_one()
        if self.partner_id.is_public or not self.pr_checkout_enabled:
            return False
        card = self._pr_checkout_card(create=True)
        if not card:
            return False
        holder = card.partner_id
        member = (
            self.env["pr.member"]
            .sudo()
            .search([("partner_id", "=", holder.id), ("company_id", "=", self.company_id.id)])
        )
        refusal = False if self._pr_points_lines() else self._pr_checkout_refusal(card)
        return {"points": member.points_available, "tier": member.tier_id.name, "refusal": refusal}
