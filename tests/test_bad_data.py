from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestBadData(PositiveReinforcementCase):
    """Numbers that make no sense are refused by the database, whoever writes them."""

    def assertRefused(self, model, values, record=None):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            if record:
                record.write(values)
            else:
                self.env[model].create(values)
            self.env.flush_all()

    def test_two_active_tiers_cannot_share_a_threshold(self):
        with self.assertRaisesRegex(ValidationError, "already qualifies at 500 points"), self.env.cr.savepoint():
            self.env["pr.tier"].create({"name": "Second silver", "min_points": self.silver.min_points})
        with self.assertRaisesRegex(ValidationError, "already qualifies at 1500 points"), self.env.cr.savepoint():
            self.silver.min_points = 1500
        self.silver.invalidate_recordset()
        self.silver.action_archive()
        copper = self.env["pr.tier"].create({"name": "Copper", "min_points": 500})
        self.assertTrue(copper.active, "an archived tier's threshold is free again")
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.silver.action_unarchive()

    def test_tiers_of_other_companies_may_share_a_threshold(self):
        other = self.env["res.company"].create({"name": "Other shop"})
        tier = self.env["pr.tier"].create({"name": "Their silver", "min_points": 500, "company_id": other.id})
        self.assertEqual(tier.min_points, self.silver.min_points)

    def test_costs_and_values_cannot_be_negative(self):
        reward = self.env["pr.reward"].create({"name": "Mug", "kind": "gift", "points_cost": 100, "cost": 4})
        self.assertRefused("pr.reward", {"cost": -1}, record=reward)
        reward.invalidate_recordset()
        self.assertEqual(reward.cost, 4)
        rule = self.Rule.create({"name": "Spend", "behavior_id": self.b_purchase.id, "active": False})
        self.assertRefused("pr.reward.rule", {"min_value": -5}, record=rule)
        self.assertRefused("pr.reward.rule", {"gift_value": -5}, record=rule)

    def test_company_settings_cannot_be_negative(self):
        for field in ("pr_referral_cap", "pr_referral_invite_limit", "pr_point_value", "pr_surprise_budget"):
            self.assertRefused("res.company", {field: -1}, record=self.company)
