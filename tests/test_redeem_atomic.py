from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRedeemAtomic(HttpCase):
    """A redemption that fails once the stock is taken gives everything back, even where the error is shown."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.pr_wallet_mode = "commercial"
        cls.kopi = cls.env["res.partner"].create({"name": "Kopi Atomic Ltd", "is_company": True})
        cls.dewi = cls.env["res.partner"].create({"name": "Dewi Atomic", "parent_id": cls.kopi.id})
        cls.portal_user = new_test_user(
            cls.env, login="pr_atomic", groups="base.group_portal", partner_id=cls.dewi.id, name="Dewi Atomic"
        )
        cls.env["pr.ledger.entry"]._post_movements(
            [{"partner_id": cls.kopi.id, "points": 500, "kind": "earn", "reason": "Seed"}]
        )
        cls.mug = cls.env["pr.reward"].create(
            {"name": "Atomic mug", "kind": "gift", "points_cost": 200, "limited_stock": True, "stock": 3}
        )
        # The ledger refuses to debit an archived customer, which the catalogue does not check: the
        # redemption gets past the stock before it fails.
        cls.kopi.action_archive()

    def state(self):
        self.env.invalidate_all()
        return {
            "stock": self.mug.stock,
            "entries": self.env["pr.ledger.entry"].search_count([("partner_id", "=", self.kopi.id)]),
            "redemptions": self.env["pr.redemption"].search_count([("partner_id", "=", self.kopi.id)]),
            "activities": self.env["mail.activity"].search_count(
                [("res_model", "=", "res.partner"), ("res_id", "=", self.kopi.id)]
            ),
            "available": self.env["pr.member"].search([("partner_id", "=", self.kopi.id)]).points_available,
        }

    def test_failed_redemption_keeps_the_stock(self):
        before = self.state()
        self.assertEqual(before["stock"], 3)
        with self.assertRaisesRegex(UserError, "archived"):
            self.env["pr.portal"].with_user(self.portal_user)._redeem(self.mug.id, "caught")
        self.assertEqual(self.state(), before, "stock, ledger and redemptions as they were")

    def test_failed_portal_redemption_shows_the_error_and_keeps_the_stock(self):
        before = self.state()
        self.authenticate("pr_atomic", "pr_atomic")
        form = self.url_open("/my/rewards").text
        csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        page = self.url_open(
            "/my/rewards/redeem", data={"csrf_token": csrf, "reward_id": self.mug.id, "token": "portal-fail"}
        )
        self.assertIn("alert-danger", page.text)
        self.assertIn("archived", page.text)
        self.assertEqual(self.state(), before, "the error was shown and the request committed, the stock kept")

    def test_successful_redemption_still_takes_stock_and_points(self):
        self.kopi.action_unarchive()
        redemption = self.env["pr.portal"].with_user(self.portal_user)._redeem(self.mug.id, "ok")
        self.assertEqual(redemption.partner_id, self.kopi)
        after = self.state()
        self.assertEqual((after["stock"], after["redemptions"], after["available"]), (2, 1, 300))
