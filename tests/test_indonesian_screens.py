import json
import re
from pathlib import Path

import polib
from lxml import html

from odoo.tests import HttpCase, new_test_user, tagged

I18N = Path(__file__).resolve().parent.parent / "i18n"
TERMS_PARAM = "positive_reinforcement.tour_english_terms"
PLACEHOLDER_RE = re.compile(r"%\(|%[sd]|\{|<|\n")


def english_terms():
    """The addon's English texts of more than one word that Indonesian readers must never meet.

    Those of ``i18n/id.po`` with a translation of their own, minus any that an Indonesian text
    itself contains (a proper name such as "Net Promoter Score"), and minus texts with
    placeholders or markup (they never show as they are written).
    """
    po = polib.pofile(str(I18N / "id.po"))
    translations = [entry.msgstr.lower() for entry in po if entry.msgstr]
    terms = set()
    for entry in po:
        source = entry.msgid.strip()
        if entry.obsolete or not entry.msgstr or entry.msgstr == source or PLACEHOLDER_RE.search(source):
            continue
        if len(source.split()) < 2 or any(source.lower() in text for text in translations):
            continue
        terms.add(source)
    return sorted(terms)


def english_in(text, terms):
    lowered = " ".join(text.split()).lower()
    return [term for term in terms if term.lower() in lowered]


@tagged("post_install", "-at_install")
class TestIndonesianScreens(HttpCase):
    """The addon's screens, back office and portal, in Indonesian: none of its English left on them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("id_ID")
        cls.env["ir.module.module"]._load_module_terms(
            ["base", "web", "mail", "portal", "sale", "loyalty", "positive_reinforcement"], ["id_ID"], overwrite=True
        )
        cls.env.ref("base.user_admin").lang = "id_ID"
        cls.terms = english_terms()
        cls.env["ir.config_parameter"].sudo().set_param(TERMS_PARAM, json.dumps(cls.terms))
        cls.customer_user = new_test_user(
            cls.env, login="pr_portal_idn", groups="base.group_portal", name="Sari Pelanggan", lang="id_ID"
        )
        customer = cls.customer_user.partner_id
        # Something on every screen, named in Indonesian: a rule, a reward, points, a referral.
        rule = cls.env["pr.reward.rule"].create(
            {
                "name": "Poin ulasan",
                "behavior_id": cls.env.ref("positive_reinforcement.pr_behavior_review").id,
                "points": 20,
            }
        )
        cls.env["pr.reward"].create({"name": "Cangkir kopi", "kind": "gift", "points_cost": 100})
        cls.env["pr.ledger.entry"]._post_movements(
            [{"partner_id": customer.id, "points": 650, "kind": "earn", "reason": {"en_US": rule.name}}]
        )
        friend = cls.env["res.partner"].create({"name": "Teman Sari", "email": "teman@example.com", "lang": "id_ID"})
        cls.env["pr.referral"].sudo().create({"referrer_id": customer.id, "friend_partner_id": friend.id})

    def test_terms_are_many(self):
        """A check that could not fail would be worth nothing: the list holds the addon's screens' words."""
        self.assertGreater(len(self.terms), 300)
        for term in ("Loyalty Members", "Reward Rules", "Customer Metrics", "Available Points"):
            self.assertIn(term, self.terms)

    def test_back_office_has_no_english_left(self):
        self.env["pr.metric"]._pr_refresh(self.env.company)
        self.start_tour(
            "/odoo/action-positive_reinforcement.pr_member_action", "pr_indonesian_everywhere", login="admin"
        )

    def test_portal_has_no_english_left(self):
        self.authenticate("pr_portal_idn", "pr_portal_idn")
        for url in ("/my", "/my/rewards"):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200, url)
            page = html.fromstring(response.content)
            main = page.xpath("//main") or [page]
            text = main[0].text_content()
            self.assertIn("Hadiah", text, url)
            self.assertEqual(english_in(text, self.terms), [], f"English on {url}")
        self.start_tour("/my/rewards", "pr_indonesian_portal", login="pr_portal_idn")
