import importlib.util
from datetime import timedelta
from pathlib import Path

from odoo import Command, fields, http
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, freeze_time, new_test_user, tagged

from .common import PositiveReinforcementCase


class RefusalMixin:
    """Attacks are tried without a savepoint: a refusal that wrote something first would show."""

    def assertRefused(self, exception, func, message=None):
        try:
            func()
            self.env.flush_all()
        except exception as error:
            if message:
                self.assertIn(message, str(error))
            return error
        self.fail(f"{exception.__name__} not raised")

    def snapshot(self):
        """Everything an attack must leave as it was: referrals, behaviours, the ledger and leads."""
        env = self.env(su=True)
        counts = {
            model: env[model].with_context(active_test=False).search_count([])
            for model in ("pr.referral", "pr.ledger.entry", "crm.lead", "loyalty.card")
        }
        # Orders record their own purchase behaviours: only the referral's count here.
        counts["pr.event"] = env["pr.event"].search_count([("source_model", "=", "pr.referral")])
        return counts


@tagged("post_install", "-at_install")
class TestReferralAttribution(RefusalMixin, PositiveReinforcementCase):
    """Naming a referrer pays them: only the addon's users and the engine may do it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sales = "sales_team.group_sale_salesman,base.group_partner_manager"
        cls.salesman = new_test_user(cls.env, login="pr_plain_sales", groups=sales)
        cls.seller = new_test_user(
            cls.env, login="pr_seller", groups=f"{sales},positive_reinforcement.positive_reinforcement_group_user"
        )
        cls.Rule.create(
            {
                "name": "Referral thanks",
                "behavior_id": cls.env.ref("positive_reinforcement.pr_behavior_referral").id,
                "points": 300,
            }
        )
        cls.company.write({"pr_referral_days": 30, "pr_referral_cap": 0, "pr_referral_coupon_program_id": False})
        cls.friend = cls.env["res.partner"].create({"name": "Friend Fiona", "email": "fiona@example.com"})
        cls.product = cls.env["product.product"].create({"name": "Beans", "list_price": 80.0})

    def order(self, partner, price, user=None):
        order = (
            self.env["sale.order"]
            .with_user(user or self.env.user)
            .create(
                {
                    "partner_id": partner.id,
                    "order_line": [
                        Command.create({"product_id": self.product.id, "product_uom_qty": 1, "price_unit": price})
                    ],
                }
            )
        )
        order.action_confirm()
        self.run_later()
        return order

    def test_a_salesperson_outside_the_addon_cannot_name_a_referrer(self):
        lead = self.env["crm.lead"].with_user(self.salesman).create({"name": "Office coffee", "type": "opportunity"})
        before = self.snapshot()
        attacks = {
            "lead by customer": lambda: lead.with_user(self.salesman).write({"pr_referred_by_id": self.alice.id}),
            "lead by code": lambda: lead.with_user(self.salesman).write(
                {"pr_referred_by_code": self.alice.pr_referral_code}
            ),
            "contact by customer": lambda: setattr(
                self.friend.with_user(self.salesman), "pr_referred_by_id", self.alice
            ),
            "contact by code": lambda: self.friend.with_user(self.salesman).write(
                {"pr_referred_by_code": self.alice.pr_referral_code}
            ),
            "new contact": lambda: (
                self.env["res.partner"]
                .with_user(self.salesman)
                .create({"name": "Made-up friend", "pr_referred_by_id": self.alice.id})
            ),
            "new lead": lambda: (
                self.env["crm.lead"]
                .with_user(self.salesman)
                .create({"name": "Made-up deal", "pr_referred_by_code": self.alice.pr_referral_code})
            ),
            "engine called directly": lambda: (
                self.env["pr.referral"].with_user(self.salesman)._refer(self.alice, friend=self.friend)
            ),
        }
        for label, attack in attacks.items():
            with self.subTest(attack=label):
                self.assertRefused(AccessError, attack, "Only Positive Reinforcement users")
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Made-up friend")]))
        # Winning the opportunity and confirming an order afterwards pays nobody.
        lead.with_user(self.salesman).write({"partner_id": self.friend.id})
        lead.with_user(self.salesman).action_set_won()
        self.order(self.friend, 80.0, user=self.salesman)
        self.assertFalse(lead.pr_referral_id)
        self.assertFalse(self.friend.pr_referral_id)
        self.assertEqual(self.snapshot()["pr.referral"], before["pr.referral"])
        self.assertEqual(self.snapshot()["pr.event"], before["pr.event"])
        self.assertFalse(self.member(self.alice))

    def test_the_addon_users_and_the_engine_still_attribute(self):
        lead = self.env["crm.lead"].with_user(self.seller).create({"name": "Office coffee", "type": "opportunity"})
        lead.pr_referred_by_id = self.alice
        self.assertEqual(lead.pr_referral_id.referrer_id, self.alice)
        referral = self.env["pr.referral"].with_user(self.salesman).sudo()._refer(self.bob, friend=self.friend)
        self.assertEqual(self.friend.pr_referred_by_id, self.bob)
        self.assertEqual(referral.state, "signed_up")

    def test_a_tiny_order_does_not_qualify_under_the_default_minimum(self):
        fresh = self.env["res.company"].create({"name": "Freshly Created Roasters"})
        self.assertEqual(fresh.pr_referral_min_amount, 50.0, "the minimum order is no longer 0 by default")
        self.company.pr_referral_min_amount = fresh.pr_referral_min_amount
        self.friend.with_user(self.seller).pr_referred_by_id = self.alice
        referral = self.friend.pr_referral_id
        before = self.snapshot()
        self.order(self.friend, 5.0, user=self.seller)
        self.assertEqual(referral.state, "signed_up")
        self.assertFalse(referral.event_id)
        after = self.snapshot()
        self.assertEqual((after["pr.event"], after["pr.ledger.entry"]), (before["pr.event"], before["pr.ledger.entry"]))
        self.order(self.friend, 60.0, user=self.seller)
        self.assertEqual(referral.state, "rewarded", "an order that reaches the minimum still qualifies")

    def test_existing_companies_get_the_minimum_by_migration(self):
        path = Path(__file__).parent.parent / "migrations" / "19.0.1.0.1" / "post-migrate.py"
        spec = importlib.util.spec_from_file_location("pr_post_migrate_19_0_1_0_1", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        unset, zero, chosen = self.env["res.company"].create([{"name": f"Old company {i}"} for i in range(3)])
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_company SET pr_referral_min_amount = CASE id WHEN %s THEN NULL WHEN %s THEN 0 ELSE 25 END"
            " WHERE id IN %s",
            [unset.id, zero.id, (unset | zero | chosen)._ids],
        )
        migration.migrate(self.env.cr, "19.0.1.0.0")
        (unset | zero | chosen).invalidate_recordset(["pr_referral_min_amount"])
        self.assertEqual((unset | zero | chosen).mapped("pr_referral_min_amount"), [50.0, 50.0, 25.0])


@tagged("post_install", "-at_install")
class TestReferralCodes(RefusalMixin, PositiveReinforcementCase):
    """A referral code is the customer's link: nobody chooses one or takes another customer's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = new_test_user(
            cls.env,
            login="pr_code_admin",
            groups="base.group_system,base.group_partner_manager,positive_reinforcement.positive_reinforcement_group_manager",
        )

    def test_nobody_writes_a_referral_code(self):
        code, bob_code = self.alice.pr_referral_code, self.bob.pr_referral_code
        salesman = new_test_user(
            self.env, login="pr_code_sales", groups="sales_team.group_sale_salesman,base.group_partner_manager"
        )
        for user in (salesman, self.user, self.manager, self.admin):
            for value in ("ABCD2345", bob_code, False):
                with self.subTest(user=user.login, value=value):
                    self.assertRefused(
                        AccessError,
                        lambda user=user, value=value: self.alice.with_user(user).write({"pr_referral_code": value}),
                        "cannot be changed",
                    )
        self.alice.sudo().write({"pr_referral_code": bob_code})  # the framework itself: ignored
        self.alice.invalidate_recordset()
        self.assertEqual((self.alice.pr_referral_code, self.bob.pr_referral_code), (code, bob_code))
        self.assertEqual(self.env["pr.referral"]._find_referrer(bob_code), self.bob)
        self.alice.with_user(self.admin).write({"pr_referral_code": code})  # its own code back: a no-op
        self.assertEqual(self.alice.pr_referral_code, code)

    def test_a_code_given_at_creation_is_ignored(self):
        partner = (
            self.env["res.partner"]
            .with_user(self.admin)
            .create({"name": "Chooser", "pr_referral_code": self.alice.pr_referral_code})
        )
        self.assertTrue(partner.pr_referral_code)
        self.assertNotEqual(partner.pr_referral_code, self.alice.pr_referral_code)
        imported = self.env["res.partner"].create({"name": "Imported", "pr_referral_code": "ABCD2345"})
        self.assertNotEqual(imported.pr_referral_code, "ABCD2345")
        self.assertEqual(self.env["pr.referral"]._find_referrer(self.alice.pr_referral_code), self.alice)


@tagged("post_install", "-at_install")
class TestReferralInviteAndReport(RefusalMixin, PositiveReinforcementCase):
    def test_only_the_addon_users_send_invitations(self):
        salesman = new_test_user(self.env, login="pr_invite_sales", groups="sales_team.group_sale_salesman")
        portal = new_test_user(self.env, login="pr_invite_portal", groups="base.group_portal")
        values = {"referrer_id": self.alice.id, "friend_name": "Gita", "friend_email": "gita@example.com"}
        before = self.snapshot()
        self.assertRefused(AccessError, lambda: self.env["pr.referral.invite"].with_user(salesman).create(values))
        wizard = self.env["pr.referral.invite"].create(values)
        for user in (salesman, portal):
            with self.subTest(user=user.login):
                self.assertRefused(AccessError, wizard.with_user(user).action_send, "Only Positive Reinforcement")
        self.assertEqual(self.snapshot(), before)

    def test_duplicate_check_is_exact_and_on_own_referrals(self):
        other = self.env["res.company"].create({"name": "Elsewhere Roasters"})
        self.env["pr.referral"].create(
            {"referrer_id": self.bob.id, "friend_email": "fiona@example.com", "channel": "invite", "state": "invited"}
        )
        self.env["pr.referral"].create(
            {
                "referrer_id": self.alice.id,
                "friend_email": "hadi@example.com",
                "channel": "invite",
                "state": "invited",
                "company_id": other.id,
            }
        )

        def invite(email):
            wizard = self.env["pr.referral.invite"].create(
                {"referrer_id": self.alice.id, "friend_name": "Friend", "friend_email": email}
            )
            wizard.action_send()

        for email in ("%@example.com", "fiona@example.com", "hadi@example.com"):
            with self.subTest(email=email):
                invite(email)  # neither a pattern, nor Bob's friend, nor another company's referral blocks it
        self.assertEqual(
            self.env["pr.referral"].search([("referrer_id", "=", self.bob.id)]).friend_email, "fiona@example.com"
        )
        with self.assertRaisesRegex(UserError, "already invited"):
            invite("FIONA@Example.com")

    def test_referral_report_is_limited_to_own_companies(self):
        other = self.env["res.company"].create({"name": "Report Elsewhere"})
        product = self.env["product.product"].create({"name": "Beans", "list_price": 80.0})
        for company in (self.company, other):
            order = (
                self.env["sale.order"]
                .with_company(company)
                .create(
                    {
                        "partner_id": self.alice.id,
                        "company_id": company.id,
                        "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
                    }
                )
            )
            order.action_confirm()
            self.run_later()
            self.env["pr.metric"]._pr_refresh(company)  # the report reads the Customer Metrics
        self.env.flush_all()
        Report = self.env["pr.referral.report"]
        self.assertTrue(Report.search([("company_id", "=", other.id)]))
        self.assertNotIn(self.user.company_ids, other)
        seen = Report.with_user(self.user).search([])
        self.assertTrue(seen)
        self.assertNotIn(other, seen.company_id)
        self.assertFalse(Report.with_user(self.user).search([("company_id", "=", other.id)]))


@tagged("post_install", "-at_install")
class TestReferralPageAbuse(HttpCase):
    """The public referral page: a flood of leads is cut per network, and the first referrer stands."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first = cls.env["res.partner"].create({"name": "First Referrer", "email": "first@example.com"})
        cls.second = cls.env["res.partner"].create({"name": "Second Referrer", "email": "second@example.com"})
        cls.env.ref("base.public_user").company_id.pr_referral_join_limit = 2

    def join(self, email, **data):
        return self.url_open(
            "/referral/join",
            data={"name": "Visitor", "email": email, "csrf_token": http.Request.csrf_token(self), **data},
        )

    def leads(self):
        return self.env["crm.lead"].with_context(active_test=False).search([("email_from", "like", "@flood.example")])

    def test_one_network_leaves_a_limited_number_of_leads_per_hour(self):
        self.authenticate(None, None)
        self.url_open(f"/referral/{self.first.pr_referral_code}")
        for i in range(2):
            self.assertEqual(self.join(f"v{i}@flood.example").status_code, 200)
        leads = self.leads()
        self.assertEqual(len(leads), 2)
        referrals = self.env["pr.referral"].search_count([])
        refused = self.join("v2@flood.example")
        self.assertEqual(refused.status_code, 429)
        self.assertIn("many requests from your network", refused.text)
        self.assertIn('name="csrf_token"', refused.text, "the form is shown again")
        self.assertEqual(self.leads(), leads)
        self.assertEqual(self.env["pr.referral"].search_count([]), referrals)
        hashes = set(leads.sudo().mapped("pr_join_ip_hash"))
        self.assertEqual(len(hashes), 1)
        self.assertNotIn("127.0.0.1", hashes)
        # An hour later the network may leave its details again.
        self.env.cr.execute(
            "UPDATE crm_lead SET create_date = create_date - interval '61 minutes' WHERE id IN %s", [leads._ids]
        )
        self.assertEqual(self.join("v3@flood.example").status_code, 200)
        self.assertEqual(len(self.leads()), 3)
        # The hashes serve the hourly limit only: the daily purge erases them.
        with freeze_time(fields.Datetime.now() + timedelta(days=2)):
            self.env["pr.referral"]._cron_purge_network_addresses()
        self.assertFalse(any(self.leads().sudo().mapped("pr_join_ip_hash")))

    def test_the_first_referrer_of_a_visit_stands(self):
        self.authenticate(None, None)
        self.url_open("/referral/ZZZZ9999")  # no referrer yet: the next valid code counts
        self.url_open(f"/referral/{self.first.pr_referral_code}")
        self.url_open(f"/referral/{self.second.pr_referral_code}")
        self.assertEqual(self.join("taken@flood.example").status_code, 200)
        lead = self.leads()
        self.assertEqual(lead.pr_referral_id.referrer_id, self.first)
        self.assertFalse(self.env["pr.referral"].search([("referrer_id", "=", self.second.id)]))


@tagged("post_install", "-at_install")
class TestPortalInvitationProbe(HttpCase):
    """The portal invitation tells a customer nothing about other customers' friends."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.paula = new_test_user(cls.env, login="pr_probe_paula", groups="base.group_portal").partner_id
        cls.otto = new_test_user(cls.env, login="pr_probe_otto", groups="base.group_portal").partner_id
        cls.otto_referral = cls.env["pr.referral"].create(
            {"referrer_id": cls.otto.id, "friend_email": "fiona@example.com", "channel": "invite", "state": "invited"}
        )

    def invite(self, email):
        token = self.url_open("/my/rewards").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        return self.url_open(
            "/my/rewards/invite", data={"csrf_token": token, "name": "Probe", "email": email}, allow_redirects=True
        ).text

    def test_wildcards_and_other_customers_friends_reveal_nothing(self):
        self.authenticate("pr_probe_paula", "pr_probe_paula")
        ledger = self.env["pr.ledger.entry"].search_count([])
        leads = self.env["crm.lead"].search_count([])
        for email in ("%@example.com", "f_ona@example.com", "fiona@example.com"):
            with self.subTest(email=email):
                page = self.invite(email)
                self.assertIn("Your invitation is on its way", page)
                self.assertNotIn("already invited", page)
        self.assertIn("already invited", self.invite("FIONA@example.com"), "her own friend, exactly")
        self.assertEqual(
            (self.otto_referral.referrer_id, self.otto_referral.state, self.otto_referral.friend_email),
            (self.otto, "invited", "fiona@example.com"),
        )
        self.assertEqual(self.env["pr.referral"].search_count([("referrer_id", "=", self.otto.id)]), 1)
        mine = self.env["pr.referral"].search([("referrer_id", "=", self.paula.id)])
        self.assertEqual(
            sorted(mine.mapped("friend_email")), ["%@example.com", "f_ona@example.com", "fiona@example.com"]
        )
        self.assertEqual(self.env["pr.ledger.entry"].search_count([]), ledger)
        self.assertEqual(self.env["crm.lead"].search_count([]), leads)
