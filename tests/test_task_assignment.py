import importlib.util

from lxml import etree

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import file_path
from odoo.tools.safe_eval import safe_eval

from .common import PositiveReinforcementCase

MIGRATION = "positive_reinforcement/migrations/19.0.1.0.2/post-migrate.py"
KINDS = ("coupon", "ewallet", "gift", "experience", "custom")


@tagged("post_install", "-at_install")
class TestTaskAssignment(PositiveReinforcementCase):
    """Every loyalty task reaches an active person, whoever runs the engine; cancelling closes what it opened."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.own = cls._use_own_company("Task Roasters")
        cls.root = cls.env.ref("base.user_root")
        companies = {"company_id": cls.own.id, "company_ids": [Command.set([cls.own.id])]}
        cls.seller = new_test_user(
            cls.env, login="pr_task_seller", groups="sales_team.group_sale_salesman", **companies
        )
        cls.leader = new_test_user(
            cls.env, login="pr_task_leader", groups="sales_team.group_sale_salesman", **companies
        )
        cls.desk = new_test_user(cls.env, login="pr_task_desk", groups="base.group_user", **companies)
        cls.gone = new_test_user(cls.env, login="pr_task_gone", groups="base.group_user", **companies)
        cls.gone.action_archive()
        team = cls.env["crm.team"].create({"name": "Roasters team", "user_id": cls.leader.id, "company_id": cls.own.id})
        cls.env["crm.team.member"].create({"crm_team_id": team.id, "user_id": cls.seller.id})
        cls.alice.user_id = cls.seller
        (cls.alice | cls.bob).company_id = cls.own
        todo = cls.env.ref("mail.mail_activity_data_todo")
        cls.Rule.create(
            {
                "name": "Thanks for sharing",
                "behavior_id": cls.b_social.id,
                "points": 5,
                "activity_type_id": todo.id,
                "activity_summary": "Call to thank",
            }
        )
        cls.Rule.create({"name": "Kind words", "behavior_id": cls.b_review.id, "points": 5, "personal_touch": "note"})
        cls.Rule.create(
            {
                "name": "Premium welcome",
                "behavior_id": cls.b_premium.id,
                "points": 5,
                "personal_touch": "gift",
                "gift_name": "Coffee hamper",
                "gift_value": 10.0,
            }
        )
        cls.mug = cls.env["pr.reward"].create(
            {"name": "Roastery mug", "kind": "gift", "points_cost": 10, "responsible_id": cls.gone.id}
        )

    def engine_tasks(self, partner):
        """Run the engine on a behaviour of each kind that asks for a person, as the cron does (as OdooBot)."""
        self.assertEqual(self.env.user, self.root)
        self.assertFalse(self.root.active, "OdooBot, the cron's user, is archived: nobody reads its tasks")
        Gift = self.env["pr.surprise.gift"]
        old_activities, old_gifts = partner.activity_ids, Gift.search([("partner_id", "=", partner.id)])
        events = self.event(partner, self.b_social) | self.event(partner, self.b_review)
        events |= self.event(partner, self.b_premium)
        self.process(events)
        self.assertEqual(set(events.mapped("state")), {"processed"})
        gifts = Gift.search([("partner_id", "=", partner.id)]) - old_gifts
        self.assertEqual(len(gifts), 1)
        activities = (partner.activity_ids - old_activities) | gifts.activity_ids
        self.assertEqual(len(activities), 3, "the rule's activity, the thank-you note and the gift to send")
        return activities, gifts

    def assertTasksOf(self, partner, user):
        activities, gifts = self.engine_tasks(partner)
        self.assertEqual(activities.user_id, user)
        self.assertEqual(gifts.user_id, user, "the gift's account manager")
        return activities

    # ------------------------------------------------------------
    # Who
    # ------------------------------------------------------------

    def test_no_salesperson_the_company_first_manager_then_the_setting(self):
        self.assertFalse(self.bob.user_id)
        self.assertTasksOf(self.bob, self.manager)
        self.own.pr_task_user_id = self.desk
        self.assertTasksOf(self.bob, self.desk)

    def test_the_salesperson_then_the_team_leader_then_the_setting(self):
        self.own.pr_task_user_id = self.desk
        open_tasks = self.assertTasksOf(self.alice, self.seller)
        self.seller.action_archive()
        # Odoo deletes the open activities of archived users: the loyalty tasks moved on first.
        self.assertEqual(open_tasks.exists(), open_tasks)
        self.assertEqual(open_tasks.user_id, self.leader)
        open_tasks |= self.assertTasksOf(self.alice, self.leader)
        self.leader.action_archive()
        self.assertEqual(open_tasks.exists().user_id, self.desk)
        self.assertEqual(len(open_tasks.exists()), 6)
        self.assertTasksOf(self.alice, self.desk)
        self.desk.action_archive()
        self.assertTasksOf(self.alice, self.manager)

    def test_a_contact_is_looked_after_by_its_company_salesperson(self):
        contact = self.env["res.partner"].create({"name": "Alice's buyer", "parent_id": self.alice.id})
        contact.user_id = False
        self.assertEqual(self.own._pr_task_users(contact), {contact: self.seller})

    def test_never_an_archived_or_portal_user(self):
        portal = new_test_user(self.env, login="pr_task_portal", groups="base.group_portal")
        self.bob.user_id = portal
        self.own.pr_task_user_id = self.gone
        self.assertTasksOf(self.bob, self.manager)
        users = self.own._pr_task_users(self.alice | self.bob, preferred=self.root)
        self.assertEqual(users, {self.alice: self.seller, self.bob: self.manager})

    def test_one_look_up_for_any_number_of_customers(self):
        def queries(partners):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            users = self.own._pr_task_users(partners)
            return self.env.cr.sql_log_count - before, users

        sellers = [
            new_test_user(self.env, login=f"pr_task_seller_{i}", groups="base.group_user", company_id=self.own.id)
            for i in range(8)
        ]
        partners = self.env["res.partner"].create(
            [{"name": f"Customer {i}", "user_id": seller.id} for i, seller in enumerate(sellers)]
        )
        queries(partners[2:4])  # warm-up: the groups' and settings' caches
        few, _users = queries(partners[:2])
        many, users = queries(partners)
        self.assertEqual(many, few)
        self.assertEqual([users[partner] for partner in partners], sellers)

    # ------------------------------------------------------------
    # Rewards, gifts and feedback
    # ------------------------------------------------------------

    def test_fulfilled_by_wins_while_active(self):
        self.post(self.alice, 100)
        first = self.mug.with_user(self.user)._redeem(self.alice, "task-1")
        self.assertEqual(first.activity_id.user_id, self.seller, "the archived Fulfilled By is skipped")
        self.assertEqual(first.activity_id.res_id, self.alice.id)
        self.mug.responsible_id = self.desk
        second = self.mug.with_user(self.user)._redeem(self.alice, "task-2")
        self.assertEqual(second.activity_id.user_id, self.desk)

    def test_a_portal_redemption_does_not_task_the_customer(self):
        portal = new_test_user(self.env, login="pr_task_portal_bob", groups="base.group_portal", company_id=self.own.id)
        self.post(portal.partner_id, 100)
        self.mug.responsible_id = False
        redemption = self.mug.with_user(portal).sudo()._redeem(portal.partner_id, "portal-1")
        self.assertEqual(redemption.activity_id.user_id, self.manager)

    def test_a_gift_of_an_archived_account_manager(self):
        gift = self.env["pr.surprise.gift"].create(
            {"name": "Flowers", "partner_id": self.alice.id, "value": 1, "user_id": self.gone.id}
        )
        self.assertEqual(gift.activity_ids.user_id, self.seller)

    def test_feedback_follow_ups(self):
        self.own.pr_feedback_user_id = self.gone
        self.own.pr_task_user_id = self.desk
        Feedback = self.env["pr.feedback"]
        Feedback.create({"partner_id": self.bob.id, "contact_id": self.bob.id, "metric": "nps", "score": 2})
        follow_up = self.env.ref("positive_reinforcement.mail_activity_type_pr_feedback_follow_up")
        activity = self.bob.activity_ids.filtered(lambda a: a.activity_type_id == follow_up)
        self.assertEqual(activity.user_id, self.desk, "the archived feedback manager is skipped")
        self.own.pr_feedback_user_id = self.leader
        Feedback.create({"partner_id": self.alice.id, "contact_id": self.alice.id, "metric": "nps", "score": 1})
        Feedback.create({"partner_id": self.bob.id, "contact_id": self.bob.id, "metric": "nps", "score": 0})
        self.assertEqual(self.alice.activity_ids.user_id, self.seller)
        self.assertEqual((self.bob.activity_ids - activity).user_id, self.leader)

    # ------------------------------------------------------------
    # Upgrade
    # ------------------------------------------------------------

    def test_the_upgrade_moves_the_open_tasks_of_users_who_cannot_do_them(self):
        def task(partner, activity_type, summary, user):
            return self.env["mail.activity"].create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": partner.id,
                    "activity_type_id": self.env.ref(activity_type).id,
                    "summary": summary,
                    "user_id": user.id,
                }
            )

        portal = new_test_user(self.env, login="pr_task_portal_seller", groups="base.group_portal")
        note = task(self.bob, "positive_reinforcement.mail_activity_type_pr_thank_you_note", "Write", self.root)
        portal_note = task(self.alice, "positive_reinforcement.mail_activity_type_pr_thank_you_note", "Write", portal)
        legacy = task(self.alice, "mail.mail_activity_data_todo", "Fulfil the reward: Roastery mug", self.root)
        rule_task = task(self.bob, "mail.mail_activity_data_todo", "Call to thank", self.gone)
        unrelated = task(self.bob, "mail.mail_activity_data_todo", "Call back about the invoice", self.root)
        mine = task(self.bob, "positive_reinforcement.mail_activity_type_pr_thank_you_note", "Write", self.leader)
        gift = self.env["pr.surprise.gift"].create({"name": "Flowers", "partner_id": self.alice.id, "value": 1})
        gift.activity_ids.user_id = self.gone
        spec = importlib.util.spec_from_file_location("pr_migration_19_0_1_0_2", file_path(MIGRATION))
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "19.0.1.0.1")
        self.assertEqual(note.user_id, self.manager, "no salesperson nor setting: the company's first manager")
        self.assertEqual(portal_note.user_id, self.seller)
        self.assertEqual(legacy.user_id, self.seller)
        self.assertEqual(rule_task.user_id, self.manager)
        self.assertEqual(gift.activity_ids.user_id, self.seller)
        self.assertEqual(unrelated.user_id, self.root, "other apps' tasks are theirs")
        self.assertEqual(mine.user_id, self.leader, "a task its user can do stays")

    # ------------------------------------------------------------
    # Cancelling
    # ------------------------------------------------------------

    def test_cancelling_a_gift_redemption_withdraws_its_task(self):
        self.post(self.alice, 100)
        redemption = self.mug.with_user(self.user)._redeem(self.alice, "cancel-1")
        activity = redemption.activity_id
        self.assertIn(activity, self.alice.activity_ids)
        redemption.with_user(self.manager).action_cancel()
        self.assertEqual(redemption.state, "cancelled")
        self.assertFalse(activity.exists())
        self.assertFalse(self.alice.activity_ids)
        self.assertBalances(self.alice, 100)

    def test_the_cancel_confirmation_speaks_of_what_is_withdrawn(self):
        arch = self.env["pr.redemption"].with_user(self.manager).get_views([(False, "form")])["views"]["form"]["arch"]
        buttons = etree.fromstring(arch).xpath("//button[@name='action_cancel']")
        texts = {}
        for kind in KINDS:
            shown = [
                b.get("confirm") for b in buttons if not safe_eval(b.get("invisible"), {"state": "done", "kind": kind})
            ]
            self.assertEqual(len(shown), 1, kind)
            texts[kind] = shown[0].lower()
            hidden = [b for b in buttons if not safe_eval(b.get("invisible"), {"state": "cancelled", "kind": kind})]
            self.assertFalse(hidden, "a cancelled redemption cannot be cancelled again")
        self.assertIn("coupon", texts["coupon"])
        self.assertIn("ewallet credit", texts["ewallet"])
        for kind in ("gift", "experience", "custom"):
            self.assertNotIn("coupon", texts[kind])
            self.assertNotIn("credit", texts[kind])
            self.assertIn("task", texts[kind])
