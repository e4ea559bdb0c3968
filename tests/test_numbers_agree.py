from datetime import date, datetime, timedelta

from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import SQL

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestNumbersAgree(PositiveReinforcementCase):
    """Daily use: every screen shows the same figure for the same thing, and says why when it has none."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls._use_own_company("Numbers Roasters")
        cls.company.partner_id.tz = "Europe/Brussels"
        cls.product = cls.env["product.product"].create({"name": "Beans", "list_price": 10.0})
        cls.today = date(2026, 6, 15)

    def customer(self, name, *moments, amount=100.0):
        """A customer with confirmed orders placed at ``moments`` (dates at noon UTC, or UTC date-times).

        Each order is worth 3 more than the one before, so that spend varies as it does in life.
        """
        partner = self.env["res.partner"].create({"name": name})
        for index, moment in enumerate(moments):
            if not isinstance(moment, datetime):
                moment = datetime.combine(moment, datetime.min.time()).replace(hour=12)
            self.sale_order(partner, {"product_id": self.product.id, "price_unit": amount + 3 * index}, date=moment)
        return partner

    def metric(self, start, period="month"):
        return self.env["pr.metric"].search(
            [
                ("company_id", "=", self.company.id),
                ("period", "=", period),
                ("date", "=", start),
                ("dimension", "=", "all"),
            ]
        )

    def refresh(self, today=None):
        self.env["pr.member"]._pr_refresh_scores(self.company, today=today or self.today)
        self.env["pr.metric"]._pr_refresh(self.company, today=today or self.today)

    # ------------------------------------------------------------
    # 1. REFERRAL RATE
    # ------------------------------------------------------------

    def test_referral_rate_is_the_same_on_both_screens(self):
        anna = self.customer("Anna", date(2026, 4, 10))  # did not buy in May, but her friend qualified in May
        for name, day in (("Ben", date(2026, 5, 5)), ("Cara", date(2026, 5, 12)), ("Dan", date(2025, 9, 1))):
            self.customer(name, day)
        self.customer("Eve", date(2026, 1, 15))
        friend = self.env["res.partner"].create({"name": "Friend Fiona"})
        self.env["pr.referral"].create(
            {
                "referrer_id": anna.id,
                "friend_partner_id": friend.id,
                "company_id": self.company.id,
                "state": "qualified",
                "date": datetime(2026, 5, 2, 9, 0),
                "qualified_date": datetime(2026, 5, 20, 9, 0),
            }
        )
        self.refresh()
        may = self.metric(date(2026, 5, 1))
        # Customers at the end of May bought from June 2025 to May 2026: all five; Anna referred.
        self.assertEqual((may.customers_end, may.referrers, may.referrals), (5, 1, 1))
        self.assertEqual(may.referral_rate, 20.0)
        self.assertEqual(may.referral_display, "20.0 %")
        self.env.flush_all()
        report = self.env["pr.referral.report"].search(
            [("month", "=", date(2026, 5, 1)), ("company_id", "=", self.company.id)]
        )
        self.assertEqual(len(report), 1)
        self.assertEqual(report.referral_rate, may.referral_rate, "the same month shows the same rate on both screens")
        self.assertEqual((report.active_customers, report.referrers, report.qualified_referrals), (5, 1, 1))
        by_month = {
            group["month:month"][1]: group["referral_rate:avg"]
            for group in self.env["pr.referral.report"].formatted_read_group(
                [("company_id", "=", self.company.id)], ["month:month"], ["referral_rate:avg"]
            )
        }
        self.assertEqual(by_month["May 2026"], 20.0)
        # A quarter counts the same way: Anna is a customer at its end and referred in it.
        self.assertEqual(self.metric(date(2026, 4, 1), "quarter").referral_rate, 20.0)

    # ------------------------------------------------------------
    # 2. UNDEFINED RATES
    # ------------------------------------------------------------

    def test_undefined_rates_are_null_never_zero(self):
        self.customer("Eve", date(2026, 6, 1))
        self.refresh()
        june = self.metric(date(2026, 6, 1))
        self.assertEqual(june.customers_start, 0)
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT retention_rate, nps, csat, referral_rate FROM pr_metric WHERE id = %s", june.id)
        )
        retention, nps, csat, referral = self.env.cr.fetchone()
        self.assertIsNone(retention, "nobody at the start: no retention rate, not 0")
        self.assertIsNone(nps)
        self.assertIsNone(csat)
        self.assertEqual(referral, 0.0, "one customer, no referral: a real 0")
        self.assertEqual(june.retention_display, "n/a")
        domain = [("company_id", "=", self.company.id), ("dimension", "=", "all"), ("period", "=", "month")]
        Metric = self.env["pr.metric"]
        # As the graph view asks (graph_model.js): with fill_temporal.
        graph = Metric.with_context(fill_temporal=True).formatted_read_group(
            domain, ["date:month"], ["retention_rate:avg", "referral_rate:avg"]
        )
        june_group = next(group for group in graph if group["date:month"][1] == "June 2026")
        self.assertIsNone(june_group["retention_rate:avg"], "the graph leaves a gap, it does not draw 0")
        self.assertEqual(june_group["referral_rate:avg"], 0.0)
        (pivot,) = Metric.formatted_read_grouping_sets(domain, [["date:month"]], ["retention_rate:avg"])
        self.assertIs(pivot[0]["retention_rate:avg"], False, "the pivot shows an empty cell, not 0.0")

    # ------------------------------------------------------------
    # 3. EXPERIMENTS
    # ------------------------------------------------------------

    def test_experiment_without_conversions_shows_no_chance(self):
        tag = self.env["res.partner.category"].create({"name": "Numbers panel"})
        self.env["res.partner"].create(
            [{"name": f"Panel {i}", "category_id": [Command.set(tag.ids)]} for i in range(40)]
        )
        experiment = self.env["pr.experiment"].create(
            {
                "name": "Nothing happens",
                "behavior_id": self.b_review.id,
                "partner_domain": f"[('category_id', 'in', {tag.ids})]",
            }
        )
        experiment.action_start()
        incentive = experiment.variant_ids.filtered(lambda variant: not variant.is_control)
        result = experiment._get_results()[incentive.id]
        self.assertGreater(result["customers"], 0)
        self.assertIsNone(result["prob_beats_control"], "no 50 % chance out of nothing")
        self.assertIsNone(result["p_value"])
        self.assertEqual(incentive.prob_beats_control_display, "No conversion yet")
        self.assertEqual(incentive.p_value_display, "No conversion yet")
        self.assertIn("Nobody converted in this group or in the holdout yet", incentive.result_warning)

    # ------------------------------------------------------------
    # 4 AND 5. LIFETIME VALUE FITS
    # ------------------------------------------------------------

    def test_lifetime_value_that_cannot_be_fitted_says_why(self):
        singles = [self.customer(f"Single {i}", self.today - timedelta(days=10 * i)) for i in range(1, 6)]
        self.refresh()
        fits = self.env["pr.clv.fit"].search([("company_id", "=", self.company.id)])
        self.assertEqual(set(fits.mapped("model")), {"bgnbd", "gamma_gamma"})
        self.assertEqual(set(fits.mapped("state")), {"failed"})
        bgnbd = fits.filtered(lambda fit: fit.model == "bgnbd")
        self.assertEqual((bgnbd.failure, bgnbd.customers, bgnbd.repeat_customers), ("no_repeat", 5, 0))
        member = self.env["pr.member"].search(
            [("partner_id", "=", singles[0].id), ("company_id", "=", self.company.id)]
        )
        self.assertFalse(member.clv_value)
        self.assertEqual(member.clv_fit_id, bgnbd)
        self.assertIn("no customer has bought twice yet", member.clv_reason)
        self.assertEqual(self.metric(date(2026, 6, 1)).clv_predicted_display, member.clv_reason)

    def test_too_few_repeat_customers_are_named(self):
        for i in range(2):
            self.customer(f"Regular {i}", self.today - timedelta(days=90 + i), self.today - timedelta(days=20 + i))
        for i in range(4):
            self.customer(f"Single {i}", self.today - timedelta(days=15 * i + 5))
        self.refresh()
        spend = self.env["pr.clv.fit"].search([("company_id", "=", self.company.id), ("model", "=", "gamma_gamma")])
        self.assertEqual((spend.state, spend.failure, spend.repeat_customers), ("failed", "few_repeat", 2))
        self.assertIn("2 customers have bought more than once", spend.reason)
        self.assertTrue(self.metric(date(2026, 6, 1)).clv_predicted_display.startswith("No lifetime value predicted"))

    def test_fitted_models_leave_a_record_a_manager_reads(self):
        # 30 customers, 1 to 5 purchases each, spread over the last year, of varied values.
        for i in range(30):
            count, first = 1 + (i * 7) % 5, 20 + (i * 37) % 300
            self.customer(
                f"Customer {i}",
                *(self.today - timedelta(days=first - j * ((first - 5) // count)) for j in range(count)),
                amount=20.0 + (i * 13) % 50,
            )
        self.refresh()
        fits = self.env["pr.clv.fit"].search([("company_id", "=", self.company.id)])
        bgnbd = fits.filtered(lambda fit: fit.model == "bgnbd")
        spend = fits.filtered(lambda fit: fit.model == "gamma_gamma")
        self.assertEqual((bgnbd.state, spend.state), ("fitted", "fitted"))
        self.assertEqual((bgnbd.customers, bgnbd.repeat_customers, spend.customers), (30, 24, 24))
        self.assertEqual(bgnbd.date, self.today)
        for value in (bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b, spend.p, spend.q, spend.v):
            self.assertGreater(value, 0)
        self.assertLess(bgnbd.log_likelihood, 0)
        self.assertFalse(bgnbd.reason)
        june = self.metric(date(2026, 6, 1))
        self.assertEqual(june.clv_fit_id, bgnbd)
        self.assertNotIn("No lifetime value", june.clv_predicted_display)
        # Users and managers read them, nobody writes them, and other companies' stay hidden.
        self.assertEqual(fits.with_user(self.manager).search([("id", "in", fits.ids)]), fits)
        self.assertEqual(fits.with_user(self.user).search([("id", "in", fits.ids)]), fits)
        with self.assertRaises(AccessError):
            bgnbd.with_user(self.manager).write({"r": 1.0})
        main = self.env.ref("base.main_company")
        outsider = new_test_user(
            self.env,
            login="numbers_elsewhere",
            groups="positive_reinforcement.positive_reinforcement_group_manager",
            company_id=main.id,
            company_ids=[Command.set(main.ids)],
        )
        Fit = self.env["pr.clv.fit"].with_user(outsider).with_context(allowed_company_ids=main.ids)
        self.assertFalse(Fit.search([("id", "in", fits.ids)]))
        menu = self.env.ref("positive_reinforcement.pr_clv_fit_menu")
        self.assertEqual(menu.group_ids, self.env.ref("positive_reinforcement.positive_reinforcement_group_manager"))

    # ------------------------------------------------------------
    # 6. RULES
    # ------------------------------------------------------------

    def test_rule_list_shows_what_the_rule_really_grants(self):
        self.company.pr_points_per_currency = 2.0
        currency = self.company.currency_id.name
        company_rate, own_rate, fixed = self.Rule.create(
            [
                {
                    "name": "Spend",
                    "behavior_id": self.b_purchase.id,
                    "points_mode": "per_currency",
                    "company_id": self.company.id,
                    "apply_multiplier": False,
                },
                {
                    "name": "Spend more",
                    "behavior_id": self.b_social.id,
                    "points_mode": "per_currency",
                    "rate": 2.5,
                    "company_id": self.company.id,
                },
                {"name": "Thanks", "behavior_id": self.b_review.id, "points": 10, "company_id": self.company.id},
            ]
        )
        self.assertEqual(company_rate.points, 10, "the stored default the old list showed")
        self.assertEqual(company_rate.grants, f"2 points per {currency} (company rate)")
        self.assertEqual(own_rate.grants, f"2.5 points per {currency}")
        self.assertEqual(fixed.grants, "10 points")
        event = self.process(self.event(self.bob, self.b_purchase, value=30.0))
        self.assertEqual(event.points, 60, "what the list says is what the customer gets")
        arch = etree.fromstring(self.env.ref("positive_reinforcement.pr_reward_rule_view_list").arch)
        columns = [field.get("name") for field in arch.iter("field")]
        self.assertIn("grants", columns)
        self.assertNotIn("points", columns)

    # ------------------------------------------------------------
    # 7. REDEEM WIZARD
    # ------------------------------------------------------------

    def test_redeem_wizard_shows_costs_and_why_not(self):
        Reward = self.env["pr.reward"]
        mug = Reward.create({"name": "Mug", "kind": "custom", "points_cost": 100})
        tour = Reward.create({"name": "Tour", "kind": "custom", "points_cost": 500})
        self.post(self.alice, 150)
        Wizard = self.env["pr.redeem"].with_user(self.user)
        wizard = Wizard.create({"partner_id": self.alice.id, "reward_id": tour.id})
        refusal = dict(Reward._catalogue_for(self.alice))[tour]
        self.assertEqual(wizard.refusal, refusal, "the reason the portal gives")
        self.assertIn("costs 500 points; 150 are available", wizard.refusal)
        for text in ("Mug", "100", "Available", "Tour", "500", "150 are available"):
            self.assertIn(text, wizard.catalogue)
        names = dict(tour.with_context(pr_show_points_cost=True).with_user(self.user).name_search("Tour"))
        self.assertEqual(names[tour.id], "Tour (500 points)")
        with self.assertRaisesRegex(UserError, "costs 500 points"):
            wizard.action_redeem()
        wizard.reward_id = mug
        self.assertFalse(wizard.refusal)

    # ------------------------------------------------------------
    # 8. THE COMPANY'S DAYS AND MONTHS
    # ------------------------------------------------------------

    def test_an_order_at_6_in_jakarta_on_the_1st_counts_in_that_month(self):
        self.company.partner_id.tz = "Asia/Jakarta"
        # 23:00 UTC on 30 April is 06:00 on 1 May in Jakarta (UTC+7).
        partner = self.customer("Early bird", datetime(2026, 4, 30, 23, 0))
        self.refresh()
        may, april = self.metric(date(2026, 5, 1)), self.metric(date(2026, 4, 1))
        self.assertEqual(may.purchasers, 1)
        self.assertFalse(april.purchasers)
        member = self.env["pr.member"].search([("partner_id", "=", partner.id), ("company_id", "=", self.company.id)])
        self.assertEqual(member.last_order_date, date(2026, 5, 1))
        with freeze_time("2026-05-31 18:00:00"):
            self.assertEqual(self.env["pr.member"]._pr_company_today(self.company), date(2026, 6, 1))

    def test_points_this_month_are_the_companys_month(self):
        self.company.partner_id.tz = "Asia/Jakarta"
        rule = self.Rule.create(
            {"name": "Thanks", "behavior_id": self.b_social.id, "points": 10, "company_id": self.company.id}
        )
        with freeze_time("2026-05-10 08:00:00"):
            # 06:00 on 1 May in Jakarta: this month there, April in UTC.
            self.process(self.event(self.bob, self.b_social, date=datetime(2026, 4, 30, 23, 0)))
            self.process(self.event(self.bob, self.b_social, date=datetime(2026, 4, 30, 16, 0)))  # 23:00, 30 April
            rule.invalidate_recordset(["budget_used"])
            self.assertEqual(rule.granted_count, 2)
            self.assertEqual(rule.budget_used, 10)

    def test_without_a_company_time_zone_the_users_counts(self):
        self.company.partner_id.tz = False
        Member = self.env["pr.member"].with_user(self.manager)
        self.manager.tz = "Asia/Jakarta"
        self.assertEqual(Member._pr_company_tz(self.company), "Asia/Jakarta")
        self.manager.tz = False
        self.assertEqual(Member._pr_company_tz(self.company), "UTC")
