import itertools

from odoo import Command
from odoo.tests import tagged

from .common import PositiveReinforcementCase

# The addon's automated rule of each path (data/base_automation_data.xml, data/pr_referral_automation_data.xml).
RULES = {
    "order": "automation_sale_order_confirmed",
    "paid": "automation_invoice_paid",
    "refund": "automation_credit_note_posted",
    "lead": "automation_lead_won",
    "rating": "automation_rating_positive",
    "survey": "automation_survey_feedback",
    "newsletter": "automation_newsletter_subscribed",
}


class HotPathCase(PositiveReinforcementCase):
    """The queries the addon adds to other apps' hot paths, pinned per document (README, Benchmarks).

    Each path is run once to warm up, then measured on a new document as a transaction of its own
    runs it: the environment's cache emptied before, and everything flushed after, as at the commit
    (pre-commit hooks included). ``make bench`` (bench/bench_hot_paths.py) compares the same paths
    with Odoo without the addon.
    """

    rules_active = True
    numbers = itertools.count()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.rules_active:
            cls.env["base.automation"].browse(
                [cls.env.ref(f"positive_reinforcement.{xmlid}").id for xmlid in RULES.values()]
            ).action_archive()
        cls.Rule.create(
            {"name": "Spend", "behavior_id": cls.b_purchase.id, "points_mode": "per_currency", "release": "policy"}
        )
        cls.company.pr_release_on = "payment"
        cls.products = cls.env["product.product"].create(
            [
                {"name": "Chair", "list_price": 120.0, "type": "consu", "invoice_policy": "order"},
                {"name": "Table", "list_price": 380.0, "type": "consu", "invoice_policy": "order"},
            ]
        )
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Customer {n}", "email": f"customer{n}@example.com"} for n in range(4)]
        )
        cls.stages = cls.env["crm.stage"].search([("is_won", "=", False)], order="sequence", limit=2)
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Hot path team",
                "assignment_max": 600,
                "crm_team_member_ids": [Command.create({"user_id": cls.env.uid, "assignment_max": 300})],
            }
        )
        cls.survey = cls.env["survey.survey"].create(
            {
                "title": "Hot path survey",
                "question_and_page_ids": [
                    Command.create(
                        {"title": "Recommend us?", "question_type": "scale", "scale_min": 0, "scale_max": 10}
                    ),
                    Command.create({"title": "Anything to add?", "question_type": "text_box"}),
                ],
            }
        )
        cls.mailing_list = cls.env["mailing.list"].create({"name": "Hot path news"})

    def measure(self, path, expected, operation, warmup, measured):
        """Run the operation on ``warmup``, then count its queries on ``measured`` (made by a callable)."""
        with self.subTest(path=path):
            self.new_transaction()
            operation(warmup() if callable(warmup) else warmup)
            argument = measured() if callable(measured) else measured
            self.new_transaction()
            with self.assertQueryCount(expected):
                operation(argument)
                self.env.cr.flush()

    def new_transaction(self):
        self.env.flush_all()
        self.env.cr.flush()
        self.env.invalidate_all()

    # ------------------------------------------------------------
    # DOCUMENTS
    # ------------------------------------------------------------

    def orders(self, count=2, confirm=False):
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": self.customers[n % 4].id,
                    "order_line": [Command.create({"product_id": p.id, "product_uom_qty": 2}) for p in self.products],
                }
                for n in range(count)
            ]
        )
        if confirm:
            orders.action_confirm()
            self.process()
        return orders

    def invoices(self, post=False, pay=False):
        invoices = self.orders(confirm=True)._create_invoices(grouped=True)
        if post or pay:
            invoices.action_post()
        if pay:
            for invoice in invoices:
                self.pay(invoice)
        return invoices

    def pay(self, invoice):
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {}
        )._create_payments()

    def leads(self, count, **values):
        numbers = [next(self.numbers) for _ in range(count)]
        return self.env["crm.lead"].create(
            [
                {
                    "name": f"Lead {n}",
                    "type": "lead",
                    "contact_name": f"Contact {n}",
                    "email_from": f"lead{n}@example.com",
                    "user_id": False,
                    "team_id": False,
                    **values,
                }
                for n in numbers
            ]
        )

    def convert(self, leads):
        self.env["crm.lead2opportunity.partner.mass"].with_context(
            active_model="crm.lead", active_ids=leads.ids
        ).create({"deduplicate": False, "user_ids": [self.env.uid], "force_assignment": True}).action_mass_convert()

    def submit(self, answer):
        scale, text = answer.survey_id.question_ids.sorted("sequence")
        answer._save_lines(scale, 9)
        answer._save_lines(text, "Friendly staff.")
        answer._mark_done()

    def rate(self, partner):
        customer = self.env(user=self.env.ref("base.public_user"), su=True)
        customer["rating.rating"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": partner.id,
                "partner_id": partner.id,
                "rating": 5,
                "feedback": "Very helpful",
                "consumed": True,
            }
        )

    # ------------------------------------------------------------
    # PATHS
    # ------------------------------------------------------------

    def assign(self, _leads):
        self.team._action_assign_leads(force_quota=True, creation_delta_days=0)

    def new_leads(self):
        return self.leads(5, probability=20)

    def move_stage(self, lead):
        lead.write({"stage_id": self.stages[1].id})

    def subscribe(self, partner):
        self.env["mailing.contact"].create(
            {"name": partner.name, "email": partner.email, "list_ids": [Command.link(self.mailing_list.id)]}
        )

    def create_contact(self, number):
        self.env["res.partner"].create({"name": f"New {number}", "email": f"new{number}@example.com"})

    def write_contact(self, partner):
        partner.write({"phone": "+62 811 000", "street": "Jalan Merdeka 1"})

    def check_paths(self, counts):
        """``counts``: the expected queries of each path, per document (per batch of 5 leads)."""
        self.measure("confirm", counts["confirm"], type(self.env["sale.order"]).action_confirm, *self.orders())
        self.measure("post", counts["post"], type(self.env["account.move"]).action_post, *self.invoices())
        self.measure("pay", counts["pay"], self.pay, *self.invoices(post=True))
        refunds = self.invoices(pay=True)._reverse_moves([{"ref": "Return"}, {"ref": "Return"}])
        self.measure("refund", counts["refund"], type(refunds).action_post, *refunds)
        opportunities = self.leads(2, type="opportunity", partner_id=self.alice.id, stage_id=self.stages[0].id)
        self.measure("lead", counts["lead"], self.move_stage, *opportunities)
        self.measure("assign", counts["assign"], self.assign, self.new_leads, self.new_leads)
        self.measure("convert", counts["convert"], self.convert, self.leads(5), self.leads(5))
        answers = [self.survey._create_answer(partner=self.alice, check_attempts=False) for _ in range(2)]
        self.measure("survey", counts["survey"], self.submit, *answers)
        self.measure("rating", counts["rating"], self.rate, self.alice, self.bob)
        self.measure("subscribe", counts["subscribe"], self.subscribe, *self.customers[:2])
        self.measure("contact_create", counts["contact_create"], self.create_contact, 1, 2)
        self.measure("contact_write", counts["contact_write"], self.write_contact, *self.customers[2:])


@tagged("post_install", "-at_install")
class TestHotPathQueries(HotPathCase):
    def test_queries_per_document_with_the_rules(self):
        # Against the same paths with the addon's automated rules archived (below), a rule costs its
        # document: a payment 2 (the invoice noted for the ledger's cron with its trigger, the referral
        # qualification) and a credit note 1 (noted for the cron). Confirming an order, a rating and a
        # subscription cost nothing: their rules run moments later, on the records their own statements
        # noted (base_automation_later.py).
        last_event = self.Event.search([], order="id desc", limit=1).id
        self.check_paths(
            {
                "confirm": 35,
                "post": 62,
                "pay": 166,
                "refund": 62,
                "lead": 22,
                "assign": 162,
                "convert": 111,
                "survey": 18,
                "rating": 5,
                "subscribe": 10,
                "contact_create": 10,
                "contact_write": 14,
            }
        )
        # Moments later, the rules run on what the paths noted: every order confirmed, the ratings, the
        # subscriptions.
        self.run_later()
        events = self.Event.search([("id", ">", last_event)])
        orders = self.env["sale.order"].search([("state", "=", "sale"), ("partner_id", "in", self.customers.ids)])
        purchases = events.filtered(lambda e: e.behavior_id == self.b_purchase)
        self.assertEqual(set(purchases.mapped("source_id")) & set(orders.ids), set(orders.ids))
        self.assertEqual(events.filtered(lambda e: e.behavior_id == self.b_review).partner_id, self.alice | self.bob)
        self.assertTrue(events.filtered(lambda e: e.behavior_id == self.b_newsletter))


@tagged("post_install", "-at_install")
class TestHotPathQueriesWithoutRules(HotPathCase):
    """The addon's overrides alone: the paths' automated rules archived."""

    rules_active = False

    def test_queries_per_document_without_the_rules(self):
        self.check_paths(
            {
                "confirm": 35,
                "post": 62,
                "pay": 164,
                "refund": 61,
                "lead": 22,
                "assign": 162,
                "convert": 111,
                "survey": 18,
                "rating": 5,
                "subscribe": 10,
                "contact_create": 10,
                "contact_write": 14,
            }
        )
