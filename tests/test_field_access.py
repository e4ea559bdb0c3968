from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import PositiveReinforcementCase

# A customer's loyalty figures on the contact: for the users of the program only.
FIGURES = [
    "pr_member_id",
    "pr_tier_id",
    "pr_points_available",
    "pr_points_pending",
    "pr_points_lifetime",
    "pr_points_expiring",
    "pr_rfm_segment",
    "pr_clv_value",
    "pr_clv_probability_alive",
    "pr_revenue_to_date",
    "pr_ledger_count",
    "pr_event_count",
    "pr_offer_count",
    "pr_feedback_count",
    "pr_badge_grant_ids",
    "pr_badge_count",
    "pr_referral_count",
]
# The contact's fields of the program that are no figures: its referral link, its preferences, its birth date.
NOT_FIGURES = {
    "pr_referral_code",
    "pr_referral_url",
    "pr_referral_id",
    "pr_referred_by_id",
    "pr_referred_by_code",
    "pr_leaderboard_opt_in",
    "pr_is_points_holder",
    "pr_birth_date",  # contact data, for employees (see test_birthdays)
    "pr_birth_date_set_on",
}
SEARCHES = [
    ("pr_tier_id", "!=", False),
    ("pr_points_available", ">", 100),
    ("pr_rfm_segment", "=", "champions"),
    ("pr_clv_value", ">", 1000),
    ("pr_clv_probability_alive", ">", 0.5),
]
PR_USER = "positive_reinforcement.positive_reinforcement_group_user"


@tagged("post_install", "-at_install")
class TestFieldAccess(PositiveReinforcementCase):
    """Other employees and portal users may read contacts, never the customers' loyalty figures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(cls.env, login="pr_fa_salesman", groups="sales_team.group_sale_salesman")
        cls.kopi = cls.env["res.partner"].create({"name": "Kopi Figures Ltd", "is_company": True})
        cls.dewi = cls.env["res.partner"].create({"name": "Dewi Figures", "parent_id": cls.kopi.id})
        cls.portal = new_test_user(
            cls.env, login="pr_fa_portal", groups="base.group_portal", partner_id=cls.dewi.id, name="Dewi Figures"
        )
        cls.Ledger._post_movements([{"partner_id": cls.kopi.id, "points": 700, "kind": "earn", "reason": "Seed"}])
        cls.env["pr.member"].search([("partner_id", "=", cls.kopi.id)]).write(
            {"rfm_segment": "champions", "clv_value": 4321.0, "clv_probability_alive": 0.9, "revenue_to_date": 9876.0}
        )
        cls.env["res.partner"].invalidate_model()

    def test_every_figure_of_the_contact_is_for_program_users(self):
        fields = self.env["res.partner"]._fields
        figures = {name for name in fields if name.startswith("pr_")} - NOT_FIGURES
        self.assertEqual(figures, set(FIGURES), "a new figure on contacts needs groups= and a line here")
        for name in FIGURES:
            self.assertEqual(fields[name].groups, PR_USER, name)

    def test_program_users_read_and_search_the_figures(self):
        kopi = self.kopi.with_user(self.user)
        self.assertEqual(kopi.pr_points_available, 700)
        self.assertEqual(kopi.pr_tier_id, self.silver)
        self.assertEqual(kopi.pr_rfm_segment, "champions")
        self.assertEqual(kopi.pr_clv_value, 4321.0)
        self.assertEqual(kopi.pr_revenue_to_date, 9876.0)
        self.assertTrue(kopi.read(FIGURES))
        Partner = self.env["res.partner"].with_user(self.user)
        for condition in SEARCHES:
            self.assertIn(self.dewi, Partner.search([condition]), condition)

    def test_employee_without_the_group_reads_and_searches_no_figure(self):
        kopi = self.kopi.with_user(self.salesman)
        self.assertEqual(kopi.read(["name"])[0]["name"], "Kopi Figures Ltd", "contacts stay readable")
        self.assertFalse(set(FIGURES) & set(kopi.fields_get()), "the figures are not even described")
        for name in FIGURES:
            with self.subTest(field=name), self.assertRaises(AccessError):
                kopi.read([name])
            with self.subTest(field=name), self.assertRaises(AccessError):
                kopi.invalidate_recordset()
                kopi[name]
        Partner = self.env["res.partner"].with_user(self.salesman)
        for condition in SEARCHES:
            with self.subTest(condition=condition), self.assertRaises(AccessError):
                Partner.search([condition])
            with self.subTest(condition=condition), self.assertRaises(AccessError):
                Partner.search_count([("name", "ilike", "Figures"), condition])

    def test_only_program_users_open_the_figures_buttons(self):
        buttons = (
            "action_view_pr_ledger",
            "action_view_pr_events",
            "action_view_pr_badges",
            "action_pr_view_offers",
            "action_view_pr_feedback",
        )
        for name in buttons:
            with self.subTest(button=name), self.assertRaises(AccessError):
                getattr(self.kopi.with_user(self.salesman), name)()
            with self.subTest(button=name), self.assertRaises(AccessError):
                getattr(self.kopi.with_user(self.portal), name)()
            self.assertEqual(getattr(self.kopi.with_user(self.user), name)()["type"], "ir.actions.act_window")

    def test_portal_user_reads_and_searches_no_figure_of_colleagues(self):
        Partner = self.env["res.partner"].with_user(self.portal)
        self.assertEqual(Partner.search([("id", "child_of", self.kopi.id)]), self.kopi | self.dewi)
        for name in FIGURES:
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.kopi.with_user(self.portal).read([name])
        for condition in SEARCHES:
            with self.subTest(condition=condition), self.assertRaises(AccessError):
                Partner.search([condition])

    def test_contact_form_opens_for_a_salesperson_without_the_group(self):
        Partner = self.env["res.partner"].with_user(self.salesman)
        views = Partner.get_views([(False, "form"), (False, "list"), (False, "search")])
        for view_type, view in views["views"].items():
            for name in FIGURES:
                self.assertNotIn(f'name="{name}"', view["arch"], f"{name} in the {view_type} view")
        self.assertFalse(set(FIGURES) & set(views["models"]["res.partner"]["fields"]))
        form = Form(self.dewi.with_user(self.salesman))
        self.assertEqual(form.name, "Dewi Figures")
        form.phone = "+62 21 555 0101"
        form.save()
        self.assertEqual(self.dewi.phone, "+62 21 555 0101")
        # The program's users still get the figures on the same form.
        arch = self.env["res.partner"].with_user(self.user).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="pr_points_available"', arch)


@tagged("post_install", "-at_install")
class TestFieldAccessHttp(HttpCase):
    """The same over RPC for a portal session, while My Rewards shows the customer their own figures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kopi = cls.env["res.partner"].create({"name": "Kopi Portal Ltd", "is_company": True})
        cls.dewi = cls.env["res.partner"].create(
            {"name": "Dewi Portal", "parent_id": cls.kopi.id, "email": "dewi@kopi.example"}
        )
        cls.eko = cls.env["res.partner"].create({"name": "Eko Portal", "parent_id": cls.kopi.id})
        new_test_user(
            cls.env, login="pr_fa_dewi", groups="base.group_portal", partner_id=cls.dewi.id, name="Dewi Portal"
        )
        cls.env.company.pr_wallet_mode = "commercial"
        cls.env["pr.ledger.entry"]._post_movements(
            [{"partner_id": cls.kopi.id, "points": 4321, "kind": "earn", "reason": "Seed"}]
        )
        Feedback = cls.env["pr.feedback"]
        for contact, comment, source_id in ((cls.dewi, "Dewi loves the crema", 1), (cls.eko, "Eko: late again", 2)):
            Feedback.create(
                {
                    "partner_id": cls.kopi.id,
                    "contact_id": contact.id,
                    "metric": "nps",
                    "score": 9,
                    "comment": comment,
                    "source_model": "test.field.access",
                    "source_id": source_id,
                }
            )

    def call_kw(self, method, args, kwargs):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/res.partner/{method}",
            {"model": "res.partner", "method": method, "args": args, "kwargs": kwargs},
        )

    def test_portal_session_cannot_read_or_search_figures_over_rpc(self):
        self.authenticate("pr_fa_dewi", "pr_fa_dewi")
        rows = self.call_kw("search_read", [[("id", "child_of", self.kopi.id)]], {"fields": ["name"]})
        self.assertEqual({row["name"] for row in rows}, {"Kopi Portal Ltd", "Dewi Portal", "Eko Portal"})
        with mute_logger("odoo.http"):
            for fields in (["name", "pr_points_available"], ["pr_clv_value"], ["pr_rfm_segment"]):
                with self.subTest(fields=fields), self.assertRaises(JsonRpcException) as caught:
                    self.call_kw("search_read", [[("id", "=", self.kopi.id)]], {"fields": fields})
                self.assertIn("AccessError", str(caught.exception))
            for condition in (["pr_points_available", ">", 4000], ["pr_tier_id", "!=", False]):
                with self.subTest(condition=condition), self.assertRaises(JsonRpcException) as caught:
                    self.call_kw("search_read", [[condition]], {"fields": ["name"]})
                self.assertIn("AccessError", str(caught.exception))

    def test_my_rewards_shows_own_figures_and_own_feedback_only(self):
        self.authenticate("pr_fa_dewi", "pr_fa_dewi")
        page = self.url_open("/my/rewards")
        self.assertEqual(page.status_code, 200)
        self.assertIn("4321", page.text.replace(",", "").replace(".", ""))
        self.assertIn("Dewi loves the crema", page.text)
        self.assertNotIn("Eko: late again", page.text, "a colleague's comment is theirs")
