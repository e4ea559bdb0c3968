from odoo import api, fields, models
from odoo.exceptions import UserError

HISTORY_PAGE = 20


class PrPortal(models.AbstractModel):
    """What a customer sees of their own rewards in the portal, read for their commercial entity only.

    Everything is read with sudo but always filtered on the holder of the logged-in user's partner,
    never on an id that came from the request: a customer cannot see another customer's data by
    changing a URL or a form field.
    """

    _name = "pr.portal"
    _description = "Rewards Portal"

    @api.model
    def _holder(self):
        partner = self.env.user.partner_id
        if self.env.user._is_public() or not partner:
            raise UserError(self.env._("Please sign in to see your rewards."))
        return partner._pr_holder()

    @api.model
    def _page_values(self, page=1):
        """All the sections of "My Rewards", in a number of queries that does not grow with the history."""
        holder = self._holder()
        company = self.env.company
        Member = self.env["pr.member"].sudo()
        member = Member.search([("partner_id", "=", holder.id), ("company_id", "=", company.id)], limit=1)
        Ledger = self.env["pr.ledger.entry"].sudo()
        ledger_domain = [("partner_id", "=", holder.id), ("company_id", "=", company.id)]
        ledger_count = Ledger.search_count(ledger_domain)
        page = max(1, min(int(page or 1), max(1, -(-ledger_count // HISTORY_PAGE))))
        ledger = Ledger.search_fetch(
            ledger_domain,
            ["date", "kind", "points", "state", "reason", "expiry_date", "release_date"],
            limit=HISTORY_PAGE,
            offset=(page - 1) * HISTORY_PAGE,
            order="date desc, id desc",
        )
        catalogue = self.env["pr.reward"].sudo().with_company(company)._catalogue_for(holder)
        Referral = self.env["pr.referral"].sudo()
        opted_in = holder.sudo().pr_leaderboard_opt_in
        return {
            "holder": holder,
            "member": member,
            "company": company,
            "tier_progress": self._tier_progress(member, company),
            "ledger": ledger,
            "ledger_count": ledger_count,
            "ledger_page": page,
            "ledger_step": HISTORY_PAGE,
            "catalogue": catalogue,
            "coupons": self._coupons(holder),
            "referral_url": holder.sudo().pr_referral_url,
            "referral_code": holder.sudo().pr_referral_code,
            "referrals": Referral.search_fetch(
                [("referrer_id", "=", holder.id), ("company_id", "=", company.id)],
                ["friend_name", "friend_email", "state", "date", "channel"],
                limit=50,
                order="date desc, id desc",
            ),
            "redemptions": self.env["pr.redemption"]
            .sudo()
            .search_fetch(
                [("partner_id", "=", holder.id), ("company_id", "=", company.id)],
                ["reward_id", "date", "points", "state", "coupon_id"],
                limit=20,
            ),
            "badges": self.env["pr.badge.grant"]
            .sudo()
            .search_fetch(
                [("partner_id", "=", holder.id), ("company_id", "=", company.id)],
                ["badge_id", "date"],
                order="date desc, id desc",
            ),
            "early_access": self._early_access(holder, member, company),
            "leaderboard_opt_in": opted_in,
            "leaderboard": (
                self.env["pr.leaderboard"].sudo()._top(company, fields.Date.context_today(self), 10)
                if opted_in
                else self.env["pr.leaderboard"]
            ),
            "feedback": self.env["pr.feedback"]
            .sudo()
            .search_fetch(
                [("partner_id", "=", holder.id), ("company_id", "=", company.id)],
                ["date", "metric", "score", "comment"],
                limit=20,
                order="date desc, id desc",
            ),
        }

    @api.model
    def _early_access(self, holder, member, company):
        """Products not yet public that this customer may already buy: by tier, or by a running offer."""
        today = fields.Date.context_today(self)
        products = (
            self.env["product.template"]
            .sudo()
            .search(
                [
                    ("pr_early_tier_id", "!=", False),
                    ("pr_public_date", ">", today),
                    ("sale_ok", "=", True),
                    ("company_id", "in", [company.id, False]),
                ],
                limit=12,
            )
        )
        if not products:
            return products
        ranks = {tier: rank for rank, tier in enumerate(self.env["pr.tier"].sudo()._get_ranked(company))}
        rank = ranks.get(member.tier_id, -1)
        granted = self.env["pr.offer"]._early_access_granted(holder, company, products, today)
        return products.filtered(lambda p: p in granted or rank >= ranks.get(p.pr_early_tier_id, len(ranks)))

    @api.model
    def _redemption(self, redemption_id):
        """One of the customer's own redemptions, or nothing (the caller answers 404)."""
        holder = self._holder()
        return (
            self.env["pr.redemption"]
            .sudo()
            .search(
                [("id", "=", redemption_id), ("partner_id", "=", holder.id), ("company_id", "=", self.env.company.id)]
            )
        )

    @api.model
    def _set_leaderboard(self, opt_in):
        """Customers join the leaderboard only if they choose to, and may leave it at any time."""
        self._holder().sudo().pr_leaderboard_opt_in = bool(opt_in)

    @api.model
    def _tier_progress(self, member, company):
        """The next tier and how far the customer is on the way to it, in points of the tier window."""
        ranked = self.env["pr.tier"].sudo()._get_ranked(company)
        current = member.tier_id
        higher = ranked.filtered(lambda t: t.min_points > (current.min_points if current else -1))
        next_tier = higher[:1]
        if not next_tier:
            return {"next": next_tier, "missing": 0, "percent": 100}
        earned = member.points_window
        percent = min(100, int(100 * earned / next_tier.min_points)) if next_tier.min_points else 100
        return {"next": next_tier, "missing": max(next_tier.min_points - earned, 0), "percent": percent}

    @api.model
    def _coupons(self, holder):
        """The customer's coupons and eWallets, usable ones first."""
        return (
            self.env["loyalty.card"]
            .sudo()
            .search_fetch(
                [("partner_id", "=", holder.id), ("company_id", "in", [self.env.company.id, False])],
                ["code", "program_id", "points", "expiration_date", "use_count", "program_type"],
                limit=50,
                order="id desc",
            )
        )

    @api.model
    def _redeem(self, reward_id, token):
        """Redeem a reward for the signed-in customer; the form's token makes a double submission redeem once."""
        holder = self._holder()
        reward = self.env["pr.reward"].sudo().browse(int(reward_id)).exists()
        if not reward or reward.company_id != self.env.company or not token:
            raise UserError(self.env._("This reward is not available."))
        return reward._redeem(holder, key=f"portal:{self.env.user.id}:{token}")

    @api.model
    def _invite(self, name, email):
        holder = self._holder()
        wizard = (
            self.env["pr.referral.invite"]
            .sudo()
            .create(
                {
                    "referrer_id": holder.id,
                    "friend_name": (name or "").strip()[:128] or email,
                    "friend_email": (email or "").strip()[:256],
                    "lang": self.env.lang,
                }
            )
        )
        wizard.action_send()
