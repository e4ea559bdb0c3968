from lxml import etree

from odoo import http
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import PositiveReinforcementCase


def _sales_team(env, leader, name="Referral Desk"):
    """A lead team ahead of every other of the company: the one crm picks by default."""
    return env["crm.team"].create(
        {"name": name, "sequence": -100, "use_leads": True, "use_opportunities": True, "user_id": leader.id}
    )


@tagged("post_install", "-at_install")
class TestReferralLeads(PositiveReinforcementCase):
    """Leads of referred friends reach a salesperson and show their referrer from the first minute."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sales = "sales_team.group_sale_salesman"
        cls.seller = new_test_user(cls.env, login="pr_lead_seller", name="Sam Seller", groups=sales)
        cls.leader = new_test_user(cls.env, login="pr_lead_leader", name="Lea Leader", groups=sales)
        cls.team = _sales_team(cls.env, cls.leader)
        cls.env["ir.config_parameter"].sudo().set_param("crm.lead.auto.assignment", False)
        cls.sales_user = new_test_user(
            cls.env,
            login="pr_lead_sales",
            groups=f"{sales},positive_reinforcement.positive_reinforcement_group_user",
        )
        cls.Lead = cls.env["crm.lead"].sudo()

    def from_page(self, referrer, email="dewi@example.com", **details):
        details = {"name": "Dewi", "email": email, **details}
        return self.Lead._pr_create_from_referral_page(details, referrer, ip="198.51.100.4", ip_hash="ab" * 32)

    def test_lead_goes_to_the_referrers_salesperson_and_names_the_referrer(self):
        self.alice.user_id = self.seller
        lead = self.from_page(self.alice, message="Call me after 5 <please>")
        self.assertEqual(lead.user_id, self.seller)
        self.assertEqual(lead.pr_referred_by_id, self.alice, "the referrer shows on the lead at once")
        self.assertEqual(lead.pr_referral_id.channel, "link")
        self.assertEqual(lead.referred, "Alice Tester", "crm's own Referred By is filled")
        self.assertIn("Call me after 5 &lt;please&gt;", lead.description)

    def test_without_a_salesperson_the_team_leader_takes_the_lead(self):
        lead = self.from_page(self.alice)
        self.assertEqual((lead.team_id, lead.user_id), (self.team, self.leader))
        self.assertIn("Lea Leader", lead.message_ids.mapped("body")[0])

    def test_never_an_archived_or_share_user(self):
        portal = new_test_user(self.env, login="pr_lead_portal", groups="base.group_portal")
        gone = new_test_user(self.env, login="pr_lead_gone", groups="sales_team.group_sale_salesman")
        gone.active = False
        for salesperson in (portal, self.env.ref("base.user_root"), gone):
            with self.subTest(salesperson=salesperson.login):
                self.alice.user_id = salesperson
                lead = self.from_page(self.alice, email=f"{salesperson.login}@x.example")
                self.assertEqual(lead.user_id, self.leader)
        self.leader.active = False
        lead = self.from_page(self.alice, email="nobody@x.example")
        self.assertEqual(lead.team_id, self.team)
        self.assertFalse(lead.user_id, "rather no salesperson than an archived one")

    def test_rule_based_assignment_leaves_the_lead_to_crm(self):
        self.env["ir.config_parameter"].sudo().set_param("crm.lead.auto.assignment", True)
        lead = self.from_page(self.alice)
        self.assertEqual(lead.team_id, self.team)
        self.assertFalse(lead.user_id, "crm's assignment gives it to a member")

    def test_the_referrers_own_email_on_the_page_is_a_lead_without_referral(self):
        self.alice.user_id = self.seller
        lead = self.from_page(self.alice, email="ALICE@example.com")
        self.assertEqual(lead.user_id, self.seller)
        self.assertFalse(lead.pr_referral_id)
        self.assertIn("cannot refer themselves", lead.message_ids.mapped("body")[0])

    def test_the_lead_form_shows_the_referrer_on_leads_too(self):
        arch = self.env["crm.lead"].with_user(self.sales_user).get_views([(False, "form")])["views"]["form"]["arch"]
        nodes = etree.fromstring(arch).xpath("//field[@name='pr_referred_by_id']")
        shown_on_leads = [
            node
            for node in nodes
            if not any("type == 'lead'" in (parent.get("invisible") or "") for parent in node.iterancestors())
        ]
        self.assertTrue(shown_on_leads)

    def test_lead_form_refuses_the_referrers_own_email(self):
        colleague = self.env["res.partner"].create(
            {"name": "Alice's assistant", "email": "assist@alice.example", "parent_id": self.alice.id}
        )
        count = self.env["pr.referral"].search_count([])
        for email in ("Alice <ALICE@example.com>", colleague.email):
            lead = self.env["crm.lead"].create(
                {"name": "Office coffee", "email_from": email, "user_id": self.sales_user.id}
            )
            with self.subTest(email=email), self.assertRaisesRegex(UserError, "cannot refer themselves"):
                lead.with_user(self.sales_user).pr_referred_by_id = self.alice
                self.env.flush_all()
        self.assertEqual(self.env["pr.referral"].search_count([]), count)

    def test_lead_form_flags_the_referrers_phone_for_review(self):
        self.alice.phone = "+62 812-3456-7890"
        lead = self.env["crm.lead"].create(
            {
                "name": "Office coffee",
                "email_from": "someone.else@example.com",
                "phone": "0812 3456 7890",
                "user_id": self.sales_user.id,
            }
        )
        lead.with_user(self.sales_user).pr_referred_by_id = self.alice
        self.assertEqual(lead.referred, "Alice Tester")
        lead.action_set_won()
        referral = lead.pr_referral_id
        self.assertEqual(referral.state, "review", "not rewarded unflagged")
        self.assertFalse(referral.event_id)
        self.assertEqual(referral.flag_codes, [["same_phone", {}]])
        self.assertIn("same phone number", referral.flags)

    def test_review_reasons_read_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("id_ID")
        self.env["ir.module.module"]._load_module_terms(["positive_reinforcement"], ["id_ID"], overwrite=True)
        self.alice.phone = "+62 812-3456-7890"
        lead = self.env["crm.lead"].create(
            {"name": "Kopi kantor", "email_from": "x@example.com", "phone": "081234567890"}
        )
        lead.pr_referred_by_id = self.alice
        lead.with_context(lang="id_ID").action_set_won()  # flagged by a process running in Indonesian
        referral = lead.pr_referral_id
        self.assertEqual(referral.state, "review")
        self.assertIn("same phone number", referral.with_context(lang="en_US").flags)
        self.assertIn("nomor telepon yang sama", referral.with_context(lang="id_ID").flags)


@tagged("post_install", "-at_install")
class TestReferralLeadPages(HttpCase):
    """The referral page: the company's face, the visitor's language, and no silent cut of what they typed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.public_user").company_id
        cls.company.name = "Kopi Nusantara"
        cls.seller = new_test_user(cls.env, login="pr_page_seller", groups="sales_team.group_sale_salesman")
        cls.referrer = cls.env["res.partner"].create(
            {"name": "Page Referrer", "email": "page.ref@example.com", "user_id": cls.seller.id}
        )

    def join(self, **data):
        data = {"name": "Joko", "email": "joko@example.com", "csrf_token": http.Request.csrf_token(self), **data}
        return self.url_open("/referral/join", data=data)

    def test_a_friends_details_reach_the_referrers_salesperson(self):
        self.authenticate(None, None)
        self.url_open(f"/referral/{self.referrer.pr_referral_code}")
        response = self.join(phone="0812 555", company="Kopi Joko", message="Hello")
        self.assertEqual(response.status_code, 200)
        lead = self.env["crm.lead"].search([("email_from", "=", "joko@example.com")])
        self.assertEqual(lead.user_id, self.seller)
        self.assertNotEqual(lead.user_id, self.env.ref("base.public_user"))
        self.assertEqual((lead.pr_referred_by_id, lead.referred), (self.referrer, "Page Referrer"))
        self.assertEqual((lead.partner_name, lead.phone), ("Kopi Joko", "0812 555"))

    def test_too_long_inputs_get_a_message_and_write_nothing(self):
        self.authenticate(None, None)
        self.url_open(f"/referral/{self.referrer.pr_referral_code}")
        leads, referrals = self.env["crm.lead"].search_count([]), self.env["pr.referral"].search_count([])
        cases = {
            "name": "N" * 129,
            "email": "a" * 250 + "@example.com",
            "phone": "1" * 41,
            "company": "C" * 129,
            "message": "M" * 2001,
        }
        for field, value in cases.items():
            with self.subTest(field=field):
                response = self.join(**{field: value})
                self.assertEqual(response.status_code, 200)
                self.assertIn("is too long", response.text)
                self.assertIn(str(len(value)), response.text)
                self.assertIn(value, response.text, "what the visitor typed is shown again to shorten")
        self.assertEqual(self.env["crm.lead"].search_count([]), leads)
        self.assertEqual(self.env["pr.referral"].search_count([]), referrals)

    def test_the_page_shows_the_companys_name_and_logo(self):
        page = self.url_open(f"/referral/{self.referrer.pr_referral_code}").text
        self.assertIn("Kopi Nusantara", page)
        self.assertIn(f"/web/binary/company_logo?company={self.company.id}", page)
        self.assertIn('<textarea id="pr_message"', page)

    def test_a_signed_in_visitor_reads_the_page_in_their_language(self):
        self.env["res.lang"]._activate_lang("id_ID")
        self.env["ir.module.module"]._load_module_terms(["positive_reinforcement"], ["id_ID"], overwrite=True)
        visitor = new_test_user(self.env, login="pr_page_visitor", groups="base.group_portal", lang="id_ID")
        self.authenticate("pr_page_visitor", "pr_page_visitor")
        headers = {"Accept-Language": "en-US,en;q=0.9"}
        page = self.url_open(f"/referral/{self.referrer.pr_referral_code}", headers=headers).text
        self.assertIn('lang="id-ID"', page)
        self.assertIn("Seorang teman merasa Anda akan menyukai kami", page)
        # A language changed during the visit is followed too.
        visitor.lang = "en_US"
        page = self.url_open(f"/referral/{self.referrer.pr_referral_code}", headers=headers).text
        self.assertIn('lang="en-US"', page)
        self.assertIn("A friend thought you would like us", page)
