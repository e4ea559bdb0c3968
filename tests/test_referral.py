from datetime import timedelta

from odoo import Command, fields, http
from odoo.exceptions import UserError
from odoo.tests import HttpCase, freeze_time, new_test_user, tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestReferral(PositiveReinforcementCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "pr_referral_min_amount": 50,
                "pr_referral_days": 30,
                "pr_referral_cap": 10,
                "pr_referral_qualify_on": "confirmed",
            }
        )
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "Welcome friend",
                "program_type": "coupons",
                "trigger": "with_code",
                "reward_ids": [Command.create({"reward_type": "discount", "discount": 10, "required_points": 1})],
            }
        )
        cls.company.pr_referral_coupon_program_id = cls.program
        cls.Rule.create(
            {
                "name": "Referral thanks",
                "behavior_id": cls.env.ref("positive_reinforcement.pr_behavior_referral").id,
                "points": 300,
            }
        )
        cls.friend = cls.env["res.partner"].create({"name": "Friend Fiona", "email": "fiona@example.com"})
        cls.product = cls.env["product.product"].create({"name": "Beans", "list_price": 80.0})
        cls.Referral = cls.env["pr.referral"]

    def order(self, partner, price=80.0):
        return self.sale_order(partner, {"product_id": self.product.id, "product_uom_qty": 1, "price_unit": price})

    def test_every_customer_has_a_unique_readable_code(self):
        partners = self.env["res.partner"].create([{"name": f"Customer {i}"} for i in range(50)])
        codes = partners.mapped("pr_referral_code")
        self.assertEqual(len(set(codes)), 50)
        self.assertFalse(set("".join(codes)) & set("0O1IL"))
        contact = self.env["res.partner"].create({"name": "Employee", "parent_id": partners[0].id})
        self.assertFalse(contact.pr_referral_code)
        self.assertEqual(contact.pr_referral_url, partners[0].pr_referral_url)
        self.assertTrue(partners[0].pr_referral_url.endswith(f"/referral/{codes[0]}"))

    def test_salesperson_sets_referred_by_by_code_or_partner(self):
        salesperson = new_test_user(
            self.env,
            login="pr_sales",
            groups="sales_team.group_sale_salesman,positive_reinforcement.positive_reinforcement_group_user",
        )
        self.friend.with_user(salesperson).pr_referred_by_code = self.alice.pr_referral_code.lower()
        self.assertEqual(self.friend.pr_referred_by_id, self.alice)
        referral = self.friend.pr_referral_id
        self.assertEqual((referral.state, referral.channel), ("signed_up", "manual"))
        lead = self.env["crm.lead"].create({"name": "Big deal"})
        lead.pr_referred_by_id = self.bob
        self.assertEqual(lead.pr_referral_id.referrer_id, self.bob)

    def test_bad_referrals_are_refused_with_nothing_written(self):
        count = self.Referral.search_count([])
        employee = self.env["res.partner"].create({"name": "Alice's colleague", "parent_id": self.alice.id})
        gone = self.env["res.partner"].create({"name": "Gone"})
        gone.action_archive()
        cases = [
            (employee, "pr_referred_by_id", self.alice, "cannot refer themselves"),
            (self.friend, "pr_referred_by_code", "NOPE", "not valid"),
            (self.friend, "pr_referred_by_code", "ABCD0000", "not valid"),
            (self.friend, "pr_referred_by_code", gone.pr_referral_code, "not valid"),
        ]
        for record, field, value, message in cases:
            with self.subTest(message=message), self.assertRaisesRegex(UserError, message):
                record[field] = value
                self.env.flush_all()
        self.assertEqual(self.Referral.search_count([]), count)
        self.friend.pr_referred_by_id = self.alice
        with self.assertRaisesRegex(UserError, "already referred"):
            self.Referral._refer(self.bob, friend=self.friend)

    def test_first_purchase_qualifies_and_rewards_both_sides(self):
        self.friend.pr_referred_by_id = self.alice
        referral = self.friend.pr_referral_id
        self.order(self.friend, price=30.0)  # below the minimum: nothing yet
        self.assertEqual(referral.state, "signed_up")
        order = self.order(self.friend)
        self.assertEqual(referral.state, "rewarded")
        self.assertEqual(referral.order_id, order)
        self.assertEqual(referral.coupon_id.partner_id, self.friend)
        self.assertEqual(referral.coupon_id.program_id, self.program)
        referral.event_id._pr_process()
        self.assertEqual(referral.event_id.points, 300)
        self.assertBalances(self.alice, 300)
        welcome = self.Event.search([("partner_id", "=", self.friend.id), ("source_model", "=", "pr.referral")])
        self.assertEqual(welcome.behavior_id.code, "referral_welcome")

    def test_purchase_outside_the_window_does_not_qualify(self):
        with freeze_time(fields.Datetime.now() - timedelta(days=40)):
            self.friend.pr_referred_by_id = self.alice
        self.order(self.friend)
        self.assertEqual(self.friend.pr_referral_id.state, "signed_up")

    def test_suspicious_referrals_wait_for_review(self):
        twin = self.env["res.partner"].create({"name": "Alice again", "email": "ALICE@example.com"})
        twin.pr_referred_by_id = self.alice
        self.order(twin)
        referral = twin.pr_referral_id
        self.assertEqual(referral.state, "review")
        self.assertIn("same email address", referral.flags)
        self.assertFalse(referral.event_id)
        with self.assertRaisesRegex(UserError, "reason"):
            referral.with_user(self.manager).action_reject()
        referral.with_user(self.manager).action_approve()
        self.assertEqual(referral.state, "rewarded")

    def test_existing_customer_and_circular_referrals_are_flagged(self):
        with freeze_time(fields.Datetime.now() - timedelta(days=5)):
            self.order(self.friend)
        self.friend.pr_referred_by_id = self.alice
        self.order(self.friend)
        self.assertIn("already a customer", self.friend.pr_referral_id.flags)
        self.alice.pr_referred_by_id = self.bob
        self.bob.pr_referred_by_id = self.alice
        self.order(self.bob)
        self.assertIn("Circular", self.bob.pr_referral_id.flags)

    def test_cap_per_referrer_per_month(self):
        self.company.pr_referral_cap = 1
        friends = self.env["res.partner"].create([{"name": f"Friend {i}"} for i in range(2)])
        for friend in friends:
            friend.pr_referred_by_id = self.alice
            self.order(friend)
        self.assertEqual(friends.pr_referral_id.mapped("state"), ["rewarded", "review"])

    def test_won_opportunity_qualifies_a_b2b_referral(self):
        lead = self.env["crm.lead"].create(
            {"name": "Office coffee", "type": "opportunity", "partner_id": self.friend.id}
        )
        lead.pr_referred_by_id = self.alice
        lead.action_set_won()
        self.assertEqual(lead.pr_referral_id.state, "rewarded")

    def test_many_signups_from_one_network_wait_for_review(self):
        self.company.pr_referral_signup_limit = 2
        friends = self.env["res.partner"].create([{"name": f"Bot {i}"} for i in range(3)])
        for friend in friends:
            self.Referral._refer(self.alice, friend=friend, channel="link", ip="203.0.113.7")
        referrals = friends.pr_referral_id
        self.assertNotIn("203.0.113.7", referrals.sudo().mapped("ip_hash"))
        for friend in friends:
            self.order(friend)
        self.assertEqual(set(referrals.mapped("state")), {"review"})
        self.assertIn("network address", referrals[0].flags)
        with freeze_time(fields.Datetime.now() + timedelta(days=31)):
            self.Referral._cron_purge_network_addresses()
        self.assertFalse(any(referrals.sudo().mapped("ip_hash")))

    def test_referral_rate_report(self):
        self.friend.pr_referred_by_id = self.alice
        self.order(self.alice)
        self.order(self.friend)
        self.env["pr.metric"]._pr_refresh(self.company)  # the report reads the Customer Metrics
        self.env.flush_all()
        month = self.env["pr.member"]._pr_company_today(self.company).replace(day=1)
        row = self.env["pr.referral.report"].search([("month", "=", month), ("company_id", "=", self.company.id)])
        self.assertEqual(row.referrers, 1)
        self.assertEqual(row.qualified_referrals, 1)
        self.assertAlmostEqual(row.referral_rate, round(100.0 / row.active_customers, 1), places=1)

    def test_invite_by_email_with_a_daily_limit(self):
        self.company.pr_referral_invite_limit = 1
        wizard = (
            self.env["pr.referral.invite"]
            .with_user(self.user)
            .create({"referrer_id": self.alice.id, "friend_name": "Gita", "friend_email": "Gita <gita@example.com>"})
        )
        wizard.action_send()
        referral = self.Referral.search([("friend_email", "=", "gita@example.com")])
        self.assertEqual(referral.state, "invited")
        mail = self.env["mail.mail"].search([("email_to", "=", "gita@example.com")])
        self.assertIn(self.alice.pr_referral_url, mail.body_html)
        again = self.env["pr.referral.invite"].create(
            {"referrer_id": self.alice.id, "friend_name": "Hadi", "friend_email": "hadi@example.com"}
        )
        with self.assertRaisesRegex(UserError, "invitations today"):
            again.action_send()


@tagged("post_install", "-at_install")
class TestReferralPages(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.referrer = cls.env["res.partner"].create({"name": "Page Referrer", "email": "page.ref@example.com"})
        gone = cls.env["res.partner"].create({"name": "Gone referrer"})
        gone.action_archive()
        cls.gone_code = gone.pr_referral_code

    def test_every_code_gets_the_same_page(self):
        pages = {}
        for label, code in (
            ("valid", self.referrer.pr_referral_code),
            ("unknown", "ZZZZ9999"),
            ("malformed", "x'; drop--"),
            ("archived", self.gone_code),
        ):
            response = self.url_open(f"/referral/{code}")
            self.assertEqual(response.status_code, 200, label)
            pages[label] = response.text.replace(code, "")
        self.assertEqual(len({len(page) for page in pages.values()}), 1, "pages differ by code")
        self.assertNotIn("Page Referrer", pages["valid"])

    def test_friend_leaves_details_and_becomes_a_referred_lead(self):
        self.authenticate(None, None)
        self.url_open(f"/referral/{self.referrer.pr_referral_code}")
        response = self.url_open(
            "/referral/join",
            data={
                "name": "Joko",
                "email": "joko@example.com",
                "phone": "0812",
                "company": "Kopi Joko",
                "csrf_token": http.Request.csrf_token(self),
            },
        )
        self.assertEqual(response.status_code, 200)
        lead = self.env["crm.lead"].search([("email_from", "=", "joko@example.com")])
        self.assertEqual(lead.contact_name, "Joko")
        self.assertEqual(lead.pr_referral_id.referrer_id, self.referrer)
        self.assertEqual(lead.pr_referral_id.channel, "link")

    def test_details_without_a_valid_code_still_make_a_lead(self):
        self.authenticate(None, None)
        self.url_open("/referral/ZZZZ9999")
        self.url_open(
            "/referral/join",
            data={"name": "Sri", "email": "sri@example.com", "csrf_token": http.Request.csrf_token(self)},
        )
        lead = self.env["crm.lead"].search([("email_from", "=", "sri@example.com")])
        self.assertTrue(lead)
        self.assertFalse(lead.pr_referral_id)


@tagged("post_install", "-at_install")
class TestReferralJourney(HttpCase):
    def test_visitor_follows_the_link_signs_up_and_orders(self):
        self.env["ir.config_parameter"].sudo().set_param("auth_signup.invitation_scope", "b2c")
        self.env["pr.reward.rule"].search([]).action_archive()
        self.env["pr.reward.rule"].create(
            {
                "name": "Referral thanks",
                "points": 300,
                "behavior_id": self.env.ref("positive_reinforcement.pr_behavior_referral").id,
            }
        )
        referrer = self.env["res.partner"].create({"name": "Rina Referrer", "email": "rina@example.com"})
        self.start_tour(f"/referral/{referrer.pr_referral_code}", "pr_referral_signup", login=None)
        visitor = self.env["res.users"].search([("login", "=", "vera.visitor@example.com")])
        referral = visitor.partner_id.pr_referral_id
        self.assertEqual(referral.referrer_id, referrer)
        self.assertEqual(referral.channel, "link")
        product = self.env["product.product"].create({"name": "Beans", "list_price": 80.0})
        order = self.env["sale.order"].create(
            {
                "partner_id": visitor.partner_id.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        self.env["base.automation"]._pr_run_later()  # the rule of confirmed orders, moments later
        self.assertEqual(referral.state, "rewarded")
        referral.event_id._pr_process()
        self.assertEqual(referrer.pr_points_available, 300)
