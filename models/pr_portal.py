from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, formatLang

# Rows per page of each paged table of "My Rewards"; each table pages on its own.
PAGE_SIZES = {"history": 20, "redemption": 10, "referral": 10, "coupon": 10}
# Loyalty cards listed as coupons; eWallets are a balance, not a coupon.
COUPON_TYPES = ("coupons", "next_order_coupons", "promotion", "promo_code", "gift_card")
WALLET_TYPES = ("ewallet",)


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
    def _page_values(self, pages=None):
        """All the sections of "My Rewards", in a number of queries that does not grow with the history.

        :param pages: ``{table: page number}`` for the paged tables (``PAGE_SIZES``); each table is paged
            on its own, and a page out of range shows the nearest page
        :return: the values of the page; ``tables`` holds each paged table's records, total and page
        """
        pages = pages or {}
        holder = self._holder()
        company = self.env.company
        member = (
            self.env["pr.member"]
            .sudo()
            .search_fetch(
                [("partner_id", "=", holder.id), ("company_id", "=", company.id)],
                [
                    "tier_id",
                    "points_available",
                    "points_pending",
                    "points_expiring",
                    "points_window",
                    "points_lifetime",
                ],
            )
        )
        ranked = self.env["pr.tier"].sudo()._get_ranked(company)
        own = [("partner_id", "=", holder.id), ("company_id", "=", company.id)]
        tables = {
            "history": self._paged(
                "pr.ledger.entry",
                own,
                ["date", "kind", "points", "state", "reason", "expiry_date"],
                "history",
                pages,
            ),
            "redemption": self._paged(
                "pr.redemption", own, ["reward_id", "date", "points", "state"], "redemption", pages
            ),
            "referral": self._paged(
                "pr.referral",
                [("referrer_id", "=", holder.id), ("company_id", "=", company.id)],
                ["friend_name", "friend_email", "state", "date"],
                "referral",
                pages,
            ),
            "coupon": self._paged(
                "loyalty.card",
                [*self._cards_domain(holder), ("program_id.program_type", "in", COUPON_TYPES)],
                ["code", "program_id", "points", "expiration_date"],
                "coupon",
                pages,
                order="id desc",
            ),
        }
        opted_in = holder.sudo().pr_leaderboard_opt_in
        return {
            "holder": holder,
            "member": member,
            "company": company,
            "currency": company.currency_id,
            "format_points": self._format_points,
            "today": company._pr_today(),
            "tier_progress": self._tier_progress(member, ranked),
            "tables": tables,
            "catalogue": self._catalogue(holder, member, company),
            "ways_to_earn": self._ways_to_earn(member, company),
            "wallets": self._wallets(holder),
            "referral_url": holder.sudo().pr_referral_url,
            "referral_code": holder.sudo().pr_referral_code,
            "badges": self.env["pr.badge.grant"]
            .sudo()
            .search_fetch(own, ["badge_id", "date"], order="date desc, id desc"),
            "early_access": self._early_access(holder, member, company, ranked),
            "leaderboard_opt_in": opted_in,
            "leaderboard": (
                self.env["pr.leaderboard"].sudo()._top(company, company._pr_today(), 10)
                if opted_in
                else self.env["pr.leaderboard"]
            ),
            "feedback": self._own_feedback(holder),
        }

    @api.model
    def _paged(self, model, domain, field_names, table, pages, order="date desc, id desc"):
        """One page of a table: ``{"records", "total", "page", "step"}``.

        The first page is counted only when it is full, so that a short table costs one query.
        """
        Model = self.env[model].sudo()
        step = PAGE_SIZES[table]
        page, total = max(1, pages.get(table) or 1), None
        if page > 1:
            total = Model.search_count(domain)
            page = max(1, min(page, -(-total // step)))
        records = Model.search_fetch(domain, field_names, limit=step, offset=(page - 1) * step, order=order)
        if total is None:
            total = len(records) if len(records) < step else Model.search_count(domain)
        return {"records": records, "total": total, "page": page, "step": step}

    @api.model
    def _format_points(self, points, signed=False):
        """Points as the customer's language writes integers (``1,250`` in English, ``1.250`` in Indonesian)."""
        text = formatLang(self.env, points or 0, digits=0)
        return f"+{text}" if signed and (points or 0) > 0 else text

    @api.model
    def _catalogue(self, holder, member, company):
        """The catalogue with its refusals; the one about points writes them as the customer's language does.

        ``pr.reward._refusal`` writes plain numbers (``costs 2500 points``); on this page every number is
        grouped (``2,500``, ``2.500``), so that refusal is written again with the same message.
        """
        available = member.points_available
        catalogue = []
        for reward, refusal in self.env["pr.reward"].sudo().with_company(company)._catalogue_for(holder):
            if refusal and refusal == self.env._(
                "%(reward)s costs %(cost)s points; %(available)s are available.",
                reward=reward.name,
                cost=reward.points_cost,
                available=available,
            ):
                refusal = self.env._(
                    "%(reward)s costs %(cost)s points; %(available)s are available.",
                    reward=reward.name,
                    cost=self._format_points(reward.points_cost),
                    available=self._format_points(available),
                )
            catalogue.append((reward, refusal))
        return catalogue

    @api.model
    def _format_number(self, value, max_digits):
        """A number in the customer's language, with the decimals it needs and no more (``1.5``, ``0.25``)."""
        digits = next(d for d in range(max_digits + 1) if round(value, d) == round(value, max_digits))
        return formatLang(self.env, value, digits=digits)

    @api.model
    def _ways_to_earn(self, member, company):
        """The rules a customer can earn by now, with what each gives, in the customer's language.

        Rules of an experiment, and rules for other tiers or another customer filter, are not shown.
        """
        today = company._pr_today()
        rules = (
            self.env["pr.reward.rule"]
            .sudo()
            .search_fetch(
                [
                    ("company_id", "in", [company.id, False]),
                    ("experiment_variant_id", "=", False),
                    ("behavior_id.active", "=", True),
                    "|",
                    ("points_mode", "!=", "fixed"),
                    ("points", ">", 0),
                    "|",
                    ("date_from", "=", False),
                    ("date_from", "<=", today),
                    "|",
                    ("date_to", "=", False),
                    ("date_to", ">=", today),
                    "|",
                    ("tier_ids", "=", False),
                    ("tier_ids", "in", member.tier_id.ids),
                ],
                [
                    "name",
                    "partner_domain",
                    "points_mode",
                    "points",
                    "rate",
                    "min_value",
                    "once_per_customer",
                    "max_per_period",
                    "period",
                    "apply_multiplier",
                ],
            )
        )
        partner = self.env.user.partner_id
        ways = []
        for rule in rules:
            domain = rule._get_partner_domain()
            if domain and not self.env["res.partner"].sudo().search_count([*domain, ("id", "=", partner.id)], limit=1):
                continue
            earn = self._earn_text(rule, company)
            if earn:
                ways.append({"rule": rule, "earn": earn, "terms": self._terms(rule, member)})
        return ways

    @api.model
    def _earn_text(self, rule, company):
        if rule.points_mode == "fixed":
            if rule.points == 1:
                return self.env._("1 point")
            return self.env._("%(points)s points", points=self._format_points(rule.points))
        rate = rule.rate or company.pr_points_per_currency
        currency = company.currency_id
        if rate <= 0:
            return ""
        if rate <= 1:
            return self.env._("1 point for every %(amount)s spent", amount=format_amount(self.env, 1 / rate, currency))
        return self.env._(
            "%(points)s points for every %(amount)s spent",
            points=self._format_number(rate, 4),
            amount=format_amount(self.env, 1, currency),
        )

    @api.model
    def _terms(self, rule, member):
        """The limits of a rule, as a customer reads them."""
        terms = []
        if rule.min_value:
            terms.append(
                self.env._(
                    "From %(amount)s", amount=format_amount(self.env, rule.min_value, self.env.company.currency_id)
                )
            )
        if rule.once_per_customer:
            terms.append(self.env._("Once"))
        elif rule.max_per_period == 1:
            texts = {
                "week": self.env._("Once a week"),
                "month": self.env._("Once a month"),
                "year": self.env._("Once a year"),
            }
            terms.append(texts[rule.period])
        elif rule.max_per_period:
            texts = {
                "week": self.env._("Up to %(count)s times a week", count=rule.max_per_period),
                "month": self.env._("Up to %(count)s times a month", count=rule.max_per_period),
                "year": self.env._("Up to %(count)s times a year", count=rule.max_per_period),
            }
            terms.append(texts[rule.period])
        multiplier = member.tier_id.multiplier
        if rule.apply_multiplier and multiplier and multiplier != 1:
            terms.append(
                self.env._(
                    "×%(multiplier)s as a %(tier)s member",
                    multiplier=self._format_number(multiplier, 2),
                    tier=member.tier_id.name,
                )
            )
        return terms

    @api.model
    def _own_feedback(self, holder):
        """The signed-in contact's own answers: colleagues of the same customer do not see each other's comments."""
        return (
            self.env["pr.feedback"]
            .sudo()
            .search_fetch(
                [
                    ("partner_id", "=", holder.id),
                    ("contact_id", "=", self.env.user.partner_id.id),
                    ("company_id", "=", self.env.company.id),
                ],
                ["date", "metric", "score", "comment"],
                limit=20,
                order="date desc, id desc",
            )
        )

    @api.model
    def _early_access(self, holder, member, company, ranked):
        """Products not yet public that this customer may already buy: by tier, or by a running offer."""
        today = company._pr_today()
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
        ranks = {tier: rank for rank, tier in enumerate(ranked)}
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
    def _tier_progress(self, member, ranked):
        """The next tier and how far the customer is on the way to it, in points of the tier window.

        :param ranked: the company's tiers, lowest first (``pr.tier._get_ranked``)
        """
        current = member.tier_id
        higher = ranked.filtered(lambda t: t.min_points > (current.min_points if current else -1))
        next_tier = higher[:1]
        if not next_tier:
            return {"next": next_tier, "missing": 0, "percent": 100}
        earned = member.points_window
        percent = min(100, int(100 * earned / next_tier.min_points)) if next_tier.min_points else 100
        return {"next": next_tier, "missing": max(next_tier.min_points - earned, 0), "percent": percent}

    @api.model
    def _cards_domain(self, holder):
        return [
            ("partner_id", "=", holder.id),
            ("company_id", "in", [self.env.company.id, False]),
            ("active", "=", True),
        ]

    @api.model
    def _wallets(self, holder):
        """The customer's eWallets: a balance in money, not a coupon."""
        return (
            self.env["loyalty.card"]
            .sudo()
            .search_fetch(
                [*self._cards_domain(holder), ("program_id.program_type", "in", WALLET_TYPES)],
                ["program_id", "points", "currency_id"],
                order="id",
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
