from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestBackOfficeScreens(HttpCase):
    def test_main_screens_open_without_error(self):
        self.env["pr.tier"].create({"name": "Screen Tier", "min_points": 7})
        self.env["pr.reward.rule"].create(
            {
                "name": "Screen rule",
                "points": 5,
                "behavior_id": self.env.ref("positive_reinforcement.pr_behavior_social_media").id,
            }
        )
        customer = self.env["res.partner"].create({"name": "Screen Customer"})
        self.env["pr.ledger.entry"]._post_movements([{"partner_id": customer.id, "points": 42, "kind": "earn"}])
        self.assertEqual(customer.pr_points_available, 42)
        self.start_tour(f"/odoo/contacts/{customer.id}", "pr_backoffice_screens", login="admin")
