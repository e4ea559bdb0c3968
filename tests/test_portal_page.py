from datetime import timedelta

from lxml import html

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPortalPage(HttpCase):
    """My Rewards as a page to read: each table pages on its own, money carries its currency, numbers
    follow the customer's language, eWallets are a balance and the ways to earn are listed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        Tier = cls.env["pr.tier"]
        Tier.search([]).action_archive()
        cls.bronze = Tier.create({"name": "Page Bronze", "min_points": 0})
        cls.silver = Tier.create({"name": "Page Silver", "min_points": 1000, "multiplier": 1.5})
        cls.gold = Tier.create({"name": "Page Gold", "min_points": 5000})
        cls.user = new_test_user(cls.env, login="pr_page", groups="base.group_portal", name="Pia Page")
        cls.pia = cls.user.partner_id
        cls.Ledger = cls.env["pr.ledger.entry"]
        cls.Ledger._post_movements([{"partner_id": cls.pia.id, "points": 1500, "kind": "earn", "reason": "Opening"}])

    def page(self, url="/my/rewards", login="pr_page"):
        self.authenticate(login, login)
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return html.fromstring(response.text)

    def section(self, tree, section_id):
        found = tree.xpath(f"//section[@id='{section_id}']")
        return found[0] if found else None

    def text(self, element):
        return " ".join(element.text_content().split()) if element is not None else ""

    def history_reasons(self, tree):
        return [
            " ".join(row.xpath("./td")[1].text_content().split())
            for row in tree.xpath("//section[@id='pr_history']//tr[hasclass('o_pr_history_line')]")
        ]

    def redemption_ids(self, tree):
        links = tree.xpath("//section[@id='pr_redemptions']//a[starts-with(@href, '/my/rewards/redemption/')]")
        return {int(link.get("href").rsplit("/", 1)[1]) for link in links}

    def pager_links(self, tree, section_id):
        return [
            a.get("href") for a in tree.xpath(f"//section[@id='{section_id}']//ul[hasclass('pagination')]//a[@href]")
        ]

    def add_visits(self, count):
        self.Ledger._post_movements(
            [{"partner_id": self.pia.id, "points": 1, "kind": "earn", "reason": f"Visit {i:02d}"} for i in range(count)]
        )

    def add_redemptions(self, count):
        sticker = self.env["pr.reward"].create({"name": "Page sticker", "kind": "gift", "points_cost": 1})
        now = fields.Datetime.now()
        return (
            self.env["pr.redemption"]
            .create(
                [
                    {
                        "partner_id": self.pia.id,
                        "reward_id": sticker.id,
                        "company_id": self.company.id,
                        "points": 1,
                        "date": now - timedelta(minutes=i),
                    }
                    for i in range(count)
                ]
            )
            .sorted(lambda r: (r.date, r.id), reverse=True)
        )

    def test_each_pager_pages_its_own_table(self):
        self.add_visits(25)  # 26 lines of history: two pages of 20
        redemptions = self.add_redemptions(12)  # two pages of 10
        newest, oldest = set(redemptions[:10].ids), set(redemptions[10:].ids)

        tree = self.page("/my/rewards?redemption_page=2")
        self.assertEqual(self.redemption_ids(tree), oldest, "the redemptions are on their second page")
        self.assertIn("Visit 24", self.history_reasons(tree), "the history stays on its first page")
        self.assertNotIn("Opening", self.history_reasons(tree))

        tree = self.page("/my/rewards?history_page=2&redemption_page=2")
        self.assertEqual(self.history_reasons(tree)[-1], "Opening", "the history is on its second page")
        self.assertNotIn("Visit 24", self.history_reasons(tree))
        self.assertEqual(self.redemption_ids(tree), oldest, "the redemptions keep their page")

        # Each pager is under its own table, and its links change its own page only.
        history_links = self.pager_links(tree, "pr_history")
        self.assertIn("/my/rewards?redemption_page=2#pr_history", history_links)
        self.assertTrue(all("redemption_page=2" in link for link in history_links))
        redemption_links = self.pager_links(tree, "pr_redemptions")
        self.assertIn("/my/rewards?history_page=2#pr_redemptions", redemption_links)
        self.assertTrue(all("history_page=2" in link for link in redemption_links))
        self.assertEqual(len(tree.xpath("//ul[hasclass('pagination')]")), 2, "one pager per paged table, no more")
        for section_id in ("pr_coupons", "pr_referral", "pr_leaderboard", "pr_catalogue", "pr_badges"):
            self.assertFalse(self.pager_links(tree, section_id), section_id)

        tree = self.page("/my/rewards?redemption_page=1&history_page=2")
        self.assertEqual(self.redemption_ids(tree), newest)

    def test_bad_page_numbers_show_the_first_page(self):
        self.add_visits(25)
        for query in (
            "page=abc",
            "history_page=-3",
            "history_page=abc",
            "history_page=",
            "history_page=2.5",
            "redemption_page=99999999999999999999999999",
            "coupon_page=%00",
            "history_page=" + "9" * 5000,
        ):
            with self.subTest(query=query):
                reasons = self.history_reasons(self.page(f"/my/rewards?{query}"))
                self.assertEqual(reasons[0], "Visit 24", "the newest line: the first page")
        tree = self.page("/my/rewards?history_page=9999")
        self.assertEqual(self.history_reasons(tree)[-1], "Opening", "past the end: the last page")
        self.assertEqual(self.history_reasons(self.page("/my/rewards/page/0"))[0], "Visit 24")
        self.assertEqual(self.history_reasons(self.page("/my/rewards/page/2"))[-1], "Opening", "old links still work")

    def ewallet_program(self):
        return self.env["loyalty.program"].create(
            {
                "name": "Page eWallet",
                "program_type": "ewallet",
                "trigger": "auto",
                "reward_ids": [
                    Command.create(
                        {"reward_type": "discount", "discount_mode": "per_point", "discount": 1, "required_points": 1}
                    )
                ],
            }
        )

    def test_ewallet_is_a_balance_with_currency_not_a_coupon(self):
        ewallet = self.ewallet_program()
        coupons = self.env["loyalty.program"].create(
            {
                "name": "Page coupons",
                "program_type": "coupons",
                "trigger": "with_code",
                "reward_ids": [Command.create({"reward_type": "discount", "discount": 10, "required_points": 1})],
            }
        )
        Card = self.env["loyalty.card"]
        wallet = Card.create({"program_id": ewallet.id, "partner_id": self.pia.id, "points": 1234.5})
        coupon = Card.create({"program_id": coupons.id, "partner_id": self.pia.id, "points": 1})
        self.env["pr.reward"].create(
            {
                "name": "Page credit",
                "kind": "ewallet",
                "points_cost": 300,
                "program_id": ewallet.id,
                "ewallet_amount": 25,
            }
        )
        tree = self.page()
        coupons_text = self.text(self.section(tree, "pr_coupons"))
        self.assertIn(coupon.code, coupons_text)
        self.assertNotIn(wallet.code, tree.text_content(), "an eWallet's code is not shown as a coupon")
        self.assertNotIn("Page eWallet", coupons_text)
        balance = self.text(self.section(tree, "pr_balance")).replace("\N{NO-BREAK SPACE}", " ")
        self.assertIn(f"Page eWallet: {self.currency.symbol} 1,234.50", balance)
        card = tree.xpath("//div[hasclass('o_pr_reward_card')][.//h5[normalize-space()='Page credit']]")[0]
        self.assertIn(f"{self.currency.symbol} 25.00", self.text(card).replace("\N{NO-BREAK SPACE}", " "))

    def test_points_and_money_follow_the_customers_language(self):
        self.env["res.lang"]._activate_lang("id_ID")
        self.ewallet_program()
        program = self.env["loyalty.program"].search([("name", "=", "Page eWallet")])
        self.env["loyalty.card"].create({"program_id": program.id, "partner_id": self.pia.id, "points": 1234.5})
        tree = self.page()
        self.assertEqual(self.text(tree.xpath("//*[hasclass('o_pr_available')]")[0]), "1,500")
        self.user.lang = "id_ID"
        tree = self.page()
        self.assertEqual(self.text(tree.xpath("//*[hasclass('o_pr_available')]")[0]), "1.500")
        wallet = self.text(tree.xpath("//*[hasclass('o_pr_wallet')]")[0]).replace("\N{NO-BREAK SPACE}", " ")
        self.assertIn(f"{self.currency.symbol} 1.234,50", wallet)
        self.assertIn("+1.500", self.text(self.section(tree, "pr_history")))

    def test_ways_to_earn_lists_the_rules_the_customer_can_earn_by(self):
        Rule = self.env["pr.reward.rule"]
        review = self.env.ref("positive_reinforcement.pr_behavior_review")
        Rule.create(
            {"name": "Thanks for your page review", "behavior_id": review.id, "points": 1250, "max_per_period": 2}
        )
        Rule.create({"name": "Archived page rule", "behavior_id": review.id, "points": 5, "active": False})
        Rule.create({"name": "Note-only page rule", "behavior_id": review.id, "points": 0, "personal_touch": "note"})
        Rule.create({"name": "Monthly page rule", "behavior_id": review.id, "points": 7, "max_per_period": 1})
        Rule.create({"name": "Gold page rule", "behavior_id": review.id, "points": 5, "tier_ids": [self.gold.id]})
        Rule.create(
            {
                "name": "Finished page rule",
                "behavior_id": review.id,
                "points": 5,
                "date_to": fields.Date.today() - timedelta(days=1),
            }
        )
        Rule.create(
            {
                "name": "Someone else's page rule",
                "behavior_id": review.id,
                "points": 5,
                "partner_domain": "[('id', '=', 0)]",
            }
        )
        Rule.create(
            {
                "name": "Points per spend on the page",
                "behavior_id": self.env.ref("positive_reinforcement.pr_behavior_purchase").id,
                "points_mode": "per_currency",
                "rate": 2,
            }
        )
        ways = self.text(self.section(self.page(), "pr_ways_to_earn")).replace("\N{NO-BREAK SPACE}", " ")
        self.assertIn(
            "Thanks for your page review 1,250 points Up to 2 times a month · ×1.5 as a Page Silver member", ways
        )
        self.assertIn(f"Points per spend on the page 2 points for every {self.currency.symbol} 1.00 spent", ways)
        self.assertIn("Monthly page rule 7 points Once a month", ways)
        for hidden in (
            "Note-only page rule",
            "Archived page rule",
            "Gold page rule",
            "Finished page rule",
            "Someone else's page rule",
        ):
            self.assertNotIn(hidden, ways)

    def test_a_reward_out_of_reach_says_why(self):
        self.env["pr.reward"].create({"name": "Page espresso machine", "kind": "gift", "points_cost": 4000})
        tree = self.page()
        card = tree.xpath("//div[hasclass('o_pr_reward_card')][.//h5[normalize-space()='Page espresso machine']]")[0]
        self.assertFalse(card.xpath(".//form"), "nothing to submit")
        self.assertTrue(card.xpath(".//button[@disabled]"))
        self.assertIn("costs 4,000 points; 1,500 are available", self.text(card))
        self.assertIn("4,000 points", self.text(card))

    def test_a_new_customer_sees_an_empty_page_not_an_error(self):
        new_test_user(self.env, login="pr_page_new", groups="base.group_portal", name="Nina New")
        tree = self.page(login="pr_page_new")
        self.assertEqual(self.text(tree.xpath("//*[hasclass('o_pr_available')]")[0]), "0")
        self.assertIn("No points yet.", self.text(self.section(tree, "pr_history")))
        self.assertIn("You have no coupon yet.", self.text(self.section(tree, "pr_coupons")))
        self.assertFalse(tree.xpath("//ul[hasclass('pagination')]"))
