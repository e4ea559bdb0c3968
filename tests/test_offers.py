from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestOffers(PositiveReinforcementCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("id_ID")
        cls.coffee_categ = cls.env["product.category"].create({"name": "Coffee"})
        cls.beans = cls.env["product.product"].create(
            {"name": "Toraja beans", "list_price": 100.0, "categ_id": cls.coffee_categ.id}
        )
        cls.mug = cls.env["product.product"].create({"name": "Enamel mug", "list_price": 20.0})
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "Comeback coupon",
                "program_type": "coupons",
                "trigger": "with_code",
                "reward_ids": [Command.create({"reward_type": "discount", "discount": 10, "required_points": 1})],
            }
        )
        cls.carol = cls.env["res.partner"].create({"name": "Carol Tester", "email": "carol@example.com"})
        cls.today = fields.Date.context_today(cls.env["pr.offer"])

    def order(self, partner, product, days_ago=0):
        date = fields.Datetime.now() - timedelta(days=days_ago) if days_ago else None
        return self.sale_order(partner, {"product_id": product.id}, date=date)

    def campaign(self, **values):
        return self.env["pr.offer.campaign"].create(
            {"name": "Comeback", "offer_kind": "coupon", "program_id": self.program.id, **values}
        )

    def test_segment_of_lapsed_category_buyers_gets_personal_coupons(self):
        self.order(self.alice, self.beans, days_ago=90)
        self.order(self.alice, self.beans, days_ago=80)
        self.order(self.alice, self.mug, days_ago=70)
        self.order(self.bob, self.beans, days_ago=5)  # bought lately: not lapsed
        self.order(self.carol, self.mug, days_ago=90)  # never bought coffee
        self.post(self.alice, 1600)
        self.alice.lang = "id_ID"
        campaign = self.campaign(category_id=self.coffee_categ.id, category_idle_days=30)
        self.assertEqual(campaign._segment(), self.alice)
        campaign.action_send()
        offer = campaign.offer_ids
        self.assertEqual(offer.partner_id, self.alice)
        self.assertEqual(offer.coupon_id.program_id, self.program)
        self.assertEqual(offer.tier_id, self.gold)
        self.assertEqual(offer.points_available, 1600)
        self.assertEqual(offer.product_id, self.beans, "the product she bought most often")
        mail = self.env["mail.mail"].search([("model", "=", "pr.offer"), ("res_id", "=", offer.id)])
        self.assertEqual(mail.recipient_ids, self.alice)
        for expected in ("Alice Tester", "1600", "Test Gold", offer.coupon_code, "Toraja beans"):
            self.assertIn(expected, str(mail.body_html))
        self.assertEqual(campaign.state, "sent")

    def test_segment_filters_tiers_tags_and_language(self):
        tag = self.env["res.partner.category"].create({"name": "Coffee club"})
        self.post(self.alice, 600)
        self.post(self.bob, 600)
        self.bob.category_id = tag
        self.carol.lang = "id_ID"
        self.assertEqual(self.campaign(tier_ids=[Command.set(self.silver.ids)])._segment(), self.alice | self.bob)
        self.assertEqual(self.campaign(tag_ids=[Command.set(tag.ids)])._segment(), self.bob)
        self.assertEqual(self.campaign(lang="id_ID")._segment(), self.carol)

    def test_empty_segment_or_archived_program_sends_nothing(self):
        campaign = self.campaign(tier_ids=[Command.set(self.gold.ids)])
        with self.assertRaisesRegex(UserError, "No customer matches"):
            campaign.action_send()
        self.post(self.alice, 2000)
        self.program.action_archive()
        with self.assertRaisesRegex(UserError, "active coupon program"):
            campaign.action_send()
        self.assertFalse(campaign.offer_ids)
        self.assertEqual(campaign.state, "draft")
        self.assertFalse(self.env["loyalty.card"].search([("program_id", "=", self.program.id)]))

    def test_multiplier_offer_multiplies_points_in_its_window_only(self):
        self.Rule.create({"name": "Review", "behavior_id": self.b_review.id, "points": 10, "apply_multiplier": True})
        self.post(self.alice, 1)
        campaign = self.campaign(
            offer_kind="multiplier",
            multiplier=3.0,
            partner_domain=f"[('id', '=', {self.alice.id})]",
            date_start=self.today,
            date_end=self.today + timedelta(days=7),
        )
        campaign.action_send()
        inside = self.event(self.alice, self.b_review)
        before = self.event(self.alice, self.b_review, date=fields.Datetime.now() - timedelta(days=3))
        other = self.event(self.bob, self.b_review)
        self.process(inside | before | other)
        self.assertEqual(inside.decision_ids.points, 30)
        self.assertEqual(before.decision_ids.points, 10)
        self.assertEqual(other.decision_ids.points, 10)

    def test_conversions_count_recipients_buying_in_the_window(self):
        self.post(self.alice, 10)
        self.post(self.bob, 10)
        campaign = self.campaign(partner_domain=f"[('id', 'in', {(self.alice | self.bob).ids})]")
        campaign.action_send()
        self.assertEqual(campaign.recipient_count, 2)
        self.assertEqual(campaign.conversion_count, 0)
        order = self.order(self.alice, self.beans)
        self.order(self.carol, self.beans)  # not a recipient
        campaign.invalidate_recordset()
        self.assertEqual(campaign.conversion_count, 1)
        self.assertEqual(campaign.conversion_rate, 50.0)
        self.assertEqual(campaign.revenue, order.amount_untaxed)
        alice_offer = campaign.offer_ids.filtered(lambda o: o.partner_id == self.alice)
        self.assertEqual(alice_offer.order_id, order)

    def test_early_access_warns_before_selling_to_a_lower_tier(self):
        launch = self.env["product.product"].create(
            {
                "name": "Geisha reserve",
                "list_price": 300.0,
                "pr_early_tier_id": self.gold.id,
                "pr_public_date": self.today + timedelta(days=10),
            }
        )
        self.post(self.alice, 1600)  # gold
        self.post(self.bob, 10)  # bronze
        draft = self.env["sale.order"].create(
            {"partner_id": self.bob.id, "order_line": [Command.create({"product_id": launch.id})]}
        )
        self.assertIn("Geisha reserve", draft.pr_early_access_warning)
        warning = draft.order_line._onchange_pr_early_access()
        self.assertIn("Test Gold", warning["warning"]["message"])
        gold_order = self.env["sale.order"].create(
            {"partner_id": self.alice.id, "order_line": [Command.create({"product_id": launch.id})]}
        )
        self.assertFalse(gold_order.pr_early_access_warning)
        # An early-access offer opens it to Bob too.
        self.campaign(
            offer_kind="early_access",
            program_id=False,
            product_ids=[Command.set(launch.product_tmpl_id.ids)],
            partner_domain=f"[('id', '=', {self.bob.id})]",
        ).action_send()
        draft.invalidate_recordset()
        self.assertFalse(draft.pr_early_access_warning)
        # After the public date, anyone.
        self.env["pr.offer"].search([]).unlink()
        draft.date_order = fields.Datetime.now() + timedelta(days=11)
        self.assertFalse(draft.pr_early_access_warning)

    def test_early_access_pricelist_warns_too(self):
        pricelist = self.env["product.pricelist"].create(
            {"name": "Gold preview", "pr_early_tier_id": self.gold.id, "pr_public_date": self.today + timedelta(days=5)}
        )
        self.post(self.bob, 10)
        order = self.env["sale.order"].create({"partner_id": self.bob.id, "pricelist_id": pricelist.id})
        self.assertIn("Gold preview", order._onchange_pr_early_access_pricelist()["warning"]["message"])

    def test_survey_campaign_invites_once_per_period(self):
        survey = self.env.ref("positive_reinforcement.pr_survey_nps")
        self.company.pr_nps_survey_id = survey
        segment = f"[('id', 'in', {(self.alice | self.bob).ids})]"
        campaign = self.campaign(offer_kind="survey", program_id=False, partner_domain=segment)
        campaign.action_send()
        self.assertEqual(campaign.offer_ids.partner_id, self.alice | self.bob)
        answers = self.env["survey.user_input"].search([("survey_id", "=", survey.id)])
        self.assertEqual(answers.partner_id & (self.alice | self.bob), self.alice | self.bob)
        again = self.campaign(offer_kind="survey", program_id=False, partner_domain=segment)
        with self.assertRaisesRegex(UserError, "within the period"):
            again.action_send()
        self.assertFalse(again.offer_ids)

    def test_a_filter_that_does_not_work_is_refused_everywhere(self):
        for model, values in (
            ("pr.offer.campaign", {"name": "Broken", "offer_kind": "multiplier"}),
            ("pr.reward.rule", {"name": "Broken", "behavior_id": self.b_review.id}),
        ):
            for broken in ("[('no_such_field', '=', 1)]", "[('name', '=',"):
                with (
                    self.assertRaisesRegex(ValidationError, "customer filter of Broken is not valid"),
                    self.env.cr.savepoint(),
                ):
                    self.env[model].create({**values, "partner_domain": broken})
            self.assertFalse(self.env[model].search([("name", "=", "Broken")]))
