from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import PositiveReinforcementCase


@tagged("post_install", "-at_install")
class TestAccess(PositiveReinforcementCase):
    def test_user_reads_but_cannot_post_or_adjust(self):
        entry = self.post(self.alice, 100)
        self.assertEqual(entry.with_user(self.user).points, 100)
        self.assertEqual(self.alice.with_user(self.user).pr_points_available, 100)
        with self.assertRaises(AccessError):
            self.Ledger.with_user(self.user)._post_movements(
                [{"partner_id": self.alice.id, "points": 5, "kind": "earn"}]
            )
        with self.assertRaises(AccessError):
            self.env["pr.ledger.adjust"].with_user(self.user).create(
                {"partner_id": self.alice.id, "points": 5, "reason": "x"}
            )
        with self.assertRaises(AccessError):
            self.bronze.with_user(self.user).write({"min_points": 1})

    def test_employee_without_group_sees_nothing(self):
        employee = new_test_user(self.env, login="pr_employee", groups="base.group_user")
        self.post(self.alice, 100)
        with self.assertRaises(AccessError):
            self.Ledger.with_user(employee).search([])

    def test_companies_are_kept_apart(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        other_user = new_test_user(
            self.env,
            login="pr_other",
            company_id=other.id,
            company_ids=[other.id],
            groups="positive_reinforcement.positive_reinforcement_group_manager",
        )
        mine = self.post(self.alice, 100)
        theirs = (
            self.Ledger.with_user(other_user)
            .with_company(other)
            ._post_movements([{"partner_id": self.alice.id, "points": 7, "kind": "earn"}])
        )
        self.assertEqual(theirs.company_id, other)
        self.assertEqual(self.Ledger.with_user(other_user).search([("partner_id", "=", self.alice.id)]), theirs)
        self.assertEqual(self.Ledger.with_user(self.manager).search([("partner_id", "=", self.alice.id)]), mine)
        self.assertEqual(self.alice.with_user(other_user).with_company(other).pr_points_available, 7)
        self.assertEqual(self.alice.with_user(self.manager).pr_points_available, 100)
        # The same key may be used once per company.
        again = (
            self.Ledger.with_user(other_user)
            .with_company(other)
            ._post_movements(
                [{"partner_id": self.alice.id, "points": 7, "kind": "earn", "idempotency_key": mine.idempotency_key}]
            )
        )
        self.assertNotEqual(again, mine)
