"""The access matrix's fixture and rows: every public method of the addon, and who may call it.

One row per public method of every model the addon defines or extends, with the roles allowed and a call
that proves it; ``test_access_matrix`` calls each row as every role (``with_user``, and over RPC as the
portal customer and the public visitor), ``test_access_matrix_http`` over ``/json/2`` with each role's API
key. Not a test module itself: the test classes subclass ``AccessMatrixCase``.
"""

from contextlib import suppress

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.service.model import get_public_method
from odoo.tests import HttpCase, new_test_user
from odoo.tools import SQL

ADDON = "odoo.addons.positive_reinforcement."
INTERNAL = ("employee", "salesman", "user", "integration", "manager")
USER = frozenset({"user", "manager"})
MANAGER = frozenset({"manager"})
SALES = frozenset({"salesman", "user", "manager"})
EVERYONE_INTERNAL = frozenset(INTERNAL)
NOBODY = frozenset()

# The tables whose content a refused call must leave untouched.
WATCHED = (
    "pr_ledger_entry",
    "pr_member",
    "pr_event",
    "pr_event_decision",
    "pr_referral",
    "pr_surprise_gift",
    "pr_redemption",
    "pr_reward",
    "pr_badge_grant",
    "pr_metric",
    "pr_feedback",
    "pr_experiment",
    "pr_experiment_variant",
    "pr_experiment_assignment",
    "pr_offer_campaign",
    "pr_offer",
    "pr_tier",
    "rating_rating",
    "mailing_contact",
    "crm_lead",
    "mail_activity",
    "loyalty_card",
    "pr_behavior",
    "base_automation",
    "ir_act_server",
)


def addon_public_methods(env):
    """``{(model, method)}`` for every RPC-callable method that a class of this addon defines."""
    found = set()
    for model_name in env.registry:
        model = env[model_name]
        for klass in type(model).mro():
            if not klass.__module__.startswith(ADDON):
                continue
            for name, attr in vars(klass).items():
                if name.startswith("_") or not callable(attr):
                    continue
                with suppress(AccessError, AttributeError):
                    get_public_method(model, name)
                    found.add((model_name, name))
    return found


class _Rollback(Exception):
    pass


class AccessMatrixCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company = env.company
        cls.company.write({"pr_points_validity_months": 12, "pr_pending_days": 0, "pr_surprise_budget": 0})
        cls.users = {
            "employee": new_test_user(env, login="mx_employee", groups="base.group_user"),
            "salesman": new_test_user(env, login="mx_salesman", groups="sales_team.group_sale_salesman"),
            "user": new_test_user(
                env,
                login="mx_user",
                groups="positive_reinforcement.positive_reinforcement_group_user,sales_team.group_sale_salesman",
            ),
            "integration": new_test_user(
                env, login="mx_integration", groups="positive_reinforcement.positive_reinforcement_group_integration"
            ),
            "manager": new_test_user(
                env,
                login="mx_manager",
                groups="positive_reinforcement.positive_reinforcement_group_manager,sales_team.group_sale_salesman",
            ),
            "portal": new_test_user(env, login="mx_portal", groups="base.group_portal"),
        }
        cls.customer = cls.users["portal"].partner_id
        cls.customer.email = "mx.portal@example.com"
        cls.friend = env["res.partner"].create({"name": "Matrix Friend", "email": "mx.friend@example.com"})
        ref = env.ref
        cls.social = ref("positive_reinforcement.pr_behavior_social_media")
        cls.spare_behavior = env["pr.behavior"].create({"name": "Matrix behaviour", "code": "matrix_spare"})
        cls.entry = env["pr.ledger.entry"]._post_movements(
            [{"partner_id": cls.customer.id, "points": 500, "kind": "earn", "reason": "matrix"}]
        )
        cls.member = env["pr.member"].search([("partner_id", "=", cls.customer.id)])
        cls.tier = env["pr.tier"].search([("company_id", "in", [cls.company.id, False])], limit=1)
        cls.badge = env["pr.badge"].create(
            {"name": "Matrix badge", "criterion": "behavior", "behavior_id": cls.social.id}
        )
        cls.rule = env["pr.reward.rule"].create({"name": "Matrix rule", "behavior_id": cls.social.id, "active": False})
        cls.event = env["pr.event"].create({"partner_id": cls.customer.id, "behavior_id": cls.social.id})
        cls.experiment = env["pr.experiment"].create(
            {
                "name": "Matrix experiment",
                "behavior_id": cls.social.id,
                "partner_domain": f"[('id', '=', {cls.customer.id})]",
                "variant_ids": [
                    Command.create({"name": "Holdout", "weight": 1, "is_control": True}),
                    Command.create({"name": "Double", "weight": 1, "is_control": False}),
                ],
            }
        )
        cls.variant = cls.experiment.variant_ids[1]
        cls.feedback = env["pr.feedback"].create(
            {"partner_id": cls.customer.id, "contact_id": cls.customer.id, "metric": "nps", "score": 9}
        )
        program = env["loyalty.program"].create(
            {
                "name": "Matrix coupons",
                "program_type": "coupons",
                "trigger": "with_code",
                "reward_ids": [Command.create({"reward_type": "discount", "discount": 10, "required_points": 1})],
            }
        )
        cls.campaign = env["pr.offer.campaign"].create(
            {"name": "Matrix campaign", "offer_kind": "coupon", "program_id": program.id}
        )
        cls.reward = env["pr.reward"].create(
            {"name": "Matrix mug", "kind": "gift", "points_cost": 10, "responsible_id": cls.users["manager"].id}
        )
        cls.redemption = cls.reward._redeem(cls.customer, "matrix-redemption")
        cls.referral = env["pr.referral"]._refer(cls.customer, friend=cls.friend)
        cls.referral.reject_reason = "Matrix"
        cls.gift = env["pr.surprise.gift"].create({"name": "Matrix hamper", "partner_id": cls.customer.id, "value": 5})
        cls.approved_gift = env["pr.surprise.gift"].create({"name": "Matrix box", "partner_id": cls.customer.id})
        cls.approved_gift.action_approve()
        cls.lead = env["crm.lead"].create({"name": "Matrix lead", "user_id": False})
        partner_model = env["ir.model"]._get_id("res.partner")
        cls.rating = env["rating.rating"].create(
            {"res_model_id": partner_model, "res_id": cls.customer.id, "partner_id": cls.customer.id}
        )
        cls.subscriber = env["mailing.contact"].create({"name": "Matrix reader", "email": "mx.portal@example.com"})
        cls.card = env["loyalty.card"].create({"program_id": program.id, "partner_id": cls.customer.id, "points": 1})
        cls.company.write({"pr_point_value": 0.01, "pr_checkout_min_points": 100, "pr_checkout_max_share": 50.0})
        cls.company.pr_checkout_enabled = True
        desk = env["product.product"].create({"name": "Matrix desk", "list_price": 100.0, "taxes_id": False})
        cls.product_template = desk.product_tmpl_id
        cls.category = env["product.category"].create({"name": "Matrix category"})
        cls.quotation = env["sale.order"].create(
            {"partner_id": cls.customer.id, "user_id": False, "order_line": [Command.create({"product_id": desk.id})]}
        )
        cls.survey = env["survey.survey"].create({"title": "Matrix survey"})
        cls.answer = env["survey.user_input"].create({"survey_id": cls.survey.id, "partner_id": cls.customer.id})
        cls.partner_model_id = env["ir.model"]._get_id("res.partner")
        cls.automation = env["base.automation"].create(
            {"name": "Matrix rule", "model_id": cls.partner_model_id, "trigger": "on_create_or_write", "active": False}
        )
        cls.recorder = env["ir.actions.server"].create(cls._recorder_vals(cls.automation))

    @classmethod
    def _recorder_vals(cls, automation):
        """A *Record Customer Behaviour* action of ``automation``: what an attacker would like to create or run."""
        return {
            "name": "Matrix recorder",
            "model_id": cls.partner_model_id,
            "base_automation_id": automation.id,
            "usage": "base_automation",
            "state": "pr_behavior",
            "pr_behavior_id": cls.social.id,
            "pr_partner_path": "commercial_partner_id",
        }

    # ------------------------------------------------------------
    # The matrix: (model, method) -> (roles allowed, call)
    # ------------------------------------------------------------

    def _matrix(self):
        c = self
        return {
            ("crm.lead", "write"): (SALES, lambda env: env["crm.lead"].browse(c.lead.id).write({"description": "x"})),
            ("crm.lead", "create"): (
                SALES,
                lambda env: env["crm.lead"].create({"name": "Matrix lead 2", "user_id": False}),
            ),
            ("base.automation", "create"): (
                NOBODY,
                lambda env: env["base.automation"].create(
                    {"name": "Matrix rule 2", "model_id": c.partner_model_id, "trigger": "on_create_or_write"}
                ),
            ),
            ("base.automation", "write"): (
                NOBODY,
                lambda env: env["base.automation"].browse(c.automation.id).write({"active": True}),
            ),
            ("base.automation", "unlink"): (
                NOBODY,
                lambda env: env["base.automation"].browse(c.automation.id).unlink(),
            ),
            ("ir.actions.server", "create"): (
                NOBODY,
                lambda env: env["ir.actions.server"].create(c._recorder_vals(c.automation)),
            ),
            ("ir.actions.server", "write"): (
                NOBODY,
                lambda env: env["ir.actions.server"].browse(c.recorder.id).write({"pr_behavior_id": c.social.id}),
            ),
            ("ir.actions.server", "unlink"): (
                NOBODY,
                lambda env: env["ir.actions.server"].browse(c.recorder.id).unlink(),
            ),
            ("loyalty.card", "write"): (SALES, lambda env: env["loyalty.card"].browse(c.card.id).write({"points": 2})),
            ("res.company", "create"): (NOBODY, lambda env: env["res.company"].create({"name": "Matrix company"})),
            ("res.company", "write"): (NOBODY, lambda env: env.company.write({"pr_checkout_enabled": False})),
            ("sale.order", "action_confirm"): (
                SALES,
                lambda env: env["sale.order"].browse(c.quotation.id).action_confirm(),
            ),
            ("sale.order", "create"): (SALES, lambda env: env["sale.order"].create({"partner_id": c.friend.id})),
            ("sale.order", "write"): (
                SALES,
                lambda env: env["sale.order"].browse(c.quotation.id).write({"client_order_ref": "Matrix"}),
            ),
            ("sale.order", "action_pr_pay_with_points"): (
                SALES,
                lambda env: env["sale.order"].browse(c.quotation.id).action_pr_pay_with_points(),
            ),
            ("survey.survey", "create"): (NOBODY, lambda env: env["survey.survey"].create({"title": "Matrix 2"})),
            ("survey.survey", "write"): (
                NOBODY,
                lambda env: env["survey.survey"].browse(c.survey.id).write({"pr_feedback": True}),
            ),
            ("survey.user_input", "create"): (
                NOBODY,
                lambda env: env["survey.user_input"].create({"survey_id": c.survey.id}),
            ),
            ("survey.user_input", "write"): (
                NOBODY,
                lambda env: env["survey.user_input"].browse(c.answer.id).write({"pr_testimonial": True}),
            ),
            ("pr.badge", "action_view_grants"): (
                USER,
                lambda env: env["pr.badge"].browse(c.badge.id).action_view_grants(),
            ),
            ("pr.badge", "action_grant_now"): (
                MANAGER,
                lambda env: env["pr.badge"].browse(c.badge.id).action_grant_now(),
            ),
            ("pr.behavior", "write"): (MANAGER, lambda env: env["pr.behavior"].browse(c.social.id).write({"color": 3})),
            ("pr.behavior", "unlink"): (MANAGER, lambda env: env["pr.behavior"].browse(c.spare_behavior.id).unlink()),
            ("pr.behavior", "action_view_events"): (
                USER,
                lambda env: env["pr.behavior"].browse(c.social.id).action_view_events(),
            ),
            ("pr.event", "create"): (
                frozenset({"user", "integration", "manager"}),
                lambda env: env["pr.event"].create({"partner_id": c.customer.id, "behavior_id": c.social.id}),
            ),
            ("pr.event", "action_process"): (MANAGER, lambda env: env["pr.event"].browse(c.event.id).action_process()),
            ("pr.event", "action_ignore"): (MANAGER, lambda env: env["pr.event"].browse(c.event.id).action_ignore()),
            ("pr.event", "write"): (
                MANAGER,
                lambda env: env["pr.event"].browse(c.event.id).write({"partner_email": "mx.portal@example.com"}),
            ),
            ("pr.event", "record_events"): (
                frozenset({"integration", "manager"}),
                lambda env: env["pr.event"].record_events(
                    [{"partner_id": c.customer.id, "behavior": "social_media", "external_id": "matrix-1"}]
                ),
            ),
            ("pr.experiment", "write"): (
                MANAGER,
                lambda env: env["pr.experiment"].browse(c.experiment.id).write({"name": "Renamed"}),
            ),
            ("pr.experiment", "action_start"): (
                MANAGER,
                lambda env: env["pr.experiment"].browse(c.experiment.id).action_start(),
            ),
            ("pr.experiment", "action_stop"): (
                MANAGER,
                lambda env: (
                    env["pr.experiment"].browse(c.experiment.id).action_start()
                    and env["pr.experiment"].browse(c.experiment.id).action_stop()
                ),
            ),
            ("pr.experiment", "action_view_assignments"): (
                USER,
                lambda env: env["pr.experiment"].browse(c.experiment.id).action_view_assignments(),
            ),
            ("pr.experiment", "action_preview_segment"): (
                USER,
                lambda env: env["pr.experiment"].browse(c.experiment.id).action_preview_segment(),
            ),
            ("pr.experiment.variant", "create"): (
                MANAGER,
                lambda env: env["pr.experiment.variant"].create(
                    {"name": "Third", "weight": 1, "experiment_id": c.experiment.id}
                ),
            ),
            ("pr.experiment.variant", "write"): (
                MANAGER,
                lambda env: env["pr.experiment.variant"].browse(c.variant.id).write({"weight": 2}),
            ),
            ("pr.feedback", "create"): (
                NOBODY,
                lambda env: env["pr.feedback"].create(
                    {"partner_id": c.customer.id, "contact_id": c.customer.id, "metric": "nps", "score": 10}
                ),
            ),
            ("pr.feedback", "write"): (
                MANAGER,
                lambda env: env["pr.feedback"].browse(c.feedback.id).write({"score": 8}),
            ),
            ("pr.ledger.entry", "create"): (
                MANAGER,
                lambda env: env["pr.ledger.entry"].create(
                    {"partner_id": c.customer.id, "points": 5, "kind": "adjust", "reason": "matrix"}
                ),
            ),
            ("pr.ledger.entry", "write"): (
                NOBODY,
                lambda env: env["pr.ledger.entry"].browse(c.entry.id).write({"points": 1}),
            ),
            ("pr.ledger.entry", "copy"): (NOBODY, lambda env: env["pr.ledger.entry"].browse(c.entry.id).copy()),
            ("pr.ledger.entry", "action_reverse"): (
                MANAGER,
                lambda env: env["pr.ledger.entry"].browse(c.entry.id).action_reverse(),
            ),
            ("pr.member", "action_view_ledger"): (
                USER,
                lambda env: env["pr.member"].browse(c.member.id).action_view_ledger(),
            ),
            ("pr.metric", "action_refresh"): (MANAGER, lambda env: env["pr.metric"].action_refresh()),
            ("pr.offer.campaign", "action_preview_segment"): (
                USER,
                lambda env: env["pr.offer.campaign"].browse(c.campaign.id).action_preview_segment(),
            ),
            ("pr.offer.campaign", "action_send"): (
                MANAGER,
                lambda env: env["pr.offer.campaign"].browse(c.campaign.id).action_send(),
            ),
            ("pr.offer.campaign", "action_cancel"): (
                MANAGER,
                lambda env: env["pr.offer.campaign"].browse(c.campaign.id).action_cancel(),
            ),
            ("pr.offer.campaign", "action_view_offers"): (
                USER,
                lambda env: env["pr.offer.campaign"].browse(c.campaign.id).action_view_offers(),
            ),
            ("pr.redemption", "action_cancel"): (
                MANAGER,
                lambda env: env["pr.redemption"].browse(c.redemption.id).action_cancel(),
            ),
            ("pr.referral", "action_approve"): (
                MANAGER,
                lambda env: env["pr.referral"].browse(c.referral.id).action_approve(),
            ),
            ("pr.referral", "action_reject"): (
                MANAGER,
                lambda env: env["pr.referral"].browse(c.referral.id).action_reject(),
            ),
            ("pr.reward.rule", "action_view_decisions"): (
                USER,
                lambda env: env["pr.reward.rule"].browse(c.rule.id).action_view_decisions(),
            ),
            ("pr.surprise.gift", "create"): (
                USER,
                lambda env: env["pr.surprise.gift"].create(
                    {"name": "Flowers", "partner_id": c.customer.id, "value": 1}
                ),
            ),
            ("pr.surprise.gift", "write"): (
                USER,
                lambda env: env["pr.surprise.gift"].browse(c.gift.id).write({"name": "Renamed"}),
            ),
            ("pr.surprise.gift", "action_approve"): (
                MANAGER,
                lambda env: env["pr.surprise.gift"].browse(c.gift.id).action_approve(),
            ),
            ("pr.surprise.gift", "action_refuse"): (
                MANAGER,
                lambda env: env["pr.surprise.gift"].browse(c.gift.id).action_refuse(),
            ),
            ("pr.surprise.gift", "action_send"): (
                USER,
                lambda env: env["pr.surprise.gift"].browse(c.approved_gift.id).action_send(),
            ),
            ("pr.tier", "action_view_members"): (
                USER,
                lambda env: env["pr.tier"].browse(c.tier.id).action_view_members(),
            ),
            ("rating.rating", "create"): (
                EVERYONE_INTERNAL,
                lambda env: env["rating.rating"].create(
                    {
                        "res_model_id": env["ir.model"]._get_id("res.partner"),
                        "res_id": c.friend.id,
                        "partner_id": c.friend.id,
                        "rating": 5,
                        "consumed": True,
                    }
                ),
            ),
            ("rating.rating", "write"): (
                EVERYONE_INTERNAL,
                lambda env: env["rating.rating"].browse(c.rating.id).write({"rating": 5, "consumed": True}),
            ),
            # Mailing contacts are the email marketing app's, which none of these roles use.
            ("mailing.contact", "create"): (NOBODY, lambda env: env["mailing.contact"].create({"name": "Matrix"})),
            ("mailing.contact", "write"): (
                NOBODY,
                lambda env: env["mailing.contact"].browse(c.subscriber.id).write({"list_ids": [Command.clear()]}),
            ),
            # Flagging products premium or renewal (which the order rules search) is for those who may
            # edit products: none of these roles.
            **{
                (model, method): (NOBODY, call)
                for model, record in (("product.template", c.product_template), ("product.category", c.category))
                for method, call in (
                    ("create", lambda env, m=model: env[m].create({"name": "Matrix premium", "pr_premium": True})),
                    ("write", lambda env, m=model, r=record: env[m].browse(r.id).write({"pr_premium": True})),
                )
            },
            ("res.users", "action_archive"): (
                NOBODY,
                lambda env: env["res.users"].browse(c.users["employee"].id).action_archive(),
            ),
            ("res.partner", "write"): (
                SALES,
                lambda env: env["res.partner"].browse(c.friend.id).write({"phone": "+62 21 555 0100"}),
            ),
            ("res.partner", "create"): (
                SALES,
                lambda env: env["res.partner"].create({"name": "Matrix new contact"}),
            ),
            **{
                ("res.partner", name): (
                    USER,
                    lambda env, name=name: getattr(env["res.partner"].browse(c.customer.id), name)(),
                )
                for name in (
                    "action_view_pr_badges",
                    "action_view_pr_events",
                    "action_pr_view_offers",
                    "action_view_pr_referrals",
                    "action_pr_invite",
                    "action_view_pr_ledger",
                    "action_view_pr_feedback",
                    "action_pr_invite_nps",
                )
            },
            ("pr.ledger.adjust", "default_get"): (
                MANAGER,
                lambda env: (
                    env["pr.ledger.adjust"]
                    .with_context(active_model="res.partner", active_id=c.customer.id)
                    .default_get(["partner_id", "points"])
                ),
            ),
            ("pr.ledger.adjust", "action_post"): (
                MANAGER,
                lambda env: (
                    env["pr.ledger.adjust"]
                    .create({"partner_id": c.customer.id, "points": 5, "reason": "matrix"})
                    .action_post()
                ),
            ),
            ("pr.anonymize.wizard", "action_anonymize"): (
                MANAGER,
                lambda env: (
                    env["pr.anonymize.wizard"].create({"partner_id": c.friend.id, "confirm": True}).action_anonymize()
                ),
            ),
            ("pr.redeem", "action_redeem"): (
                USER,
                lambda env: (
                    env["pr.redeem"].create({"partner_id": c.customer.id, "reward_id": c.reward.id}).action_redeem()
                ),
            ),
            ("pr.referral.invite", "action_send"): (
                USER,
                lambda env: (
                    env["pr.referral.invite"]
                    .create(
                        {"referrer_id": c.customer.id, "friend_name": "Nina", "friend_email": "mx.nina@example.com"}
                    )
                    .action_send()
                ),
            ),
            ("pr.replay.history", "action_replay"): (
                MANAGER,
                lambda env: env["pr.replay.history"].create({}).action_replay(),
            ),
            ("pr.surprise.suggest", "action_suggest"): (
                MANAGER,
                lambda env: env["pr.surprise.suggest"].create({"value": 1}).action_suggest(),
            ),
            ("pr.tier.simulation", "default_get"): (
                MANAGER,
                lambda env: env["pr.tier.simulation"].default_get(["line_ids"]),
            ),
            ("pr.tier.simulation", "create"): (MANAGER, lambda env: env["pr.tier.simulation"].create({})),
            ("pr.tier.simulation", "action_simulate"): (
                MANAGER,
                lambda env: env["pr.tier.simulation"].create({}).action_simulate(),
            ),
            ("pr.tier.simulation", "action_apply"): (
                MANAGER,
                lambda env: env["pr.tier.simulation"].create({}).action_apply(),
            ),
        }

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    def _snapshot(self):
        """A digest of every watched table, to prove that a refused call wrote nothing."""
        self.env.flush_all()
        digests = {}
        for table in WATCHED:
            self.env.cr.execute(
                SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM %s t",
                    SQL.identifier(table),
                )
            )
            digests[table] = self.env.cr.fetchone()
        return digests

    def _try(self, role, call):
        """Call as ``role`` and roll back: ``("allowed", None)`` or ``("refused", tables changed by the refusal)``."""
        env = self.env(user=self.users[role])
        outcome, changed = None, None
        before = self._snapshot()
        with suppress(_Rollback), self.env.cr.savepoint():
            try:
                call(env)
                env.flush_all()
                outcome = "allowed"
            except UserError:  # AccessError is one; a row that some role may call proves its arguments right
                outcome = "refused"
                try:
                    env.flush_all()
                    after = self._snapshot()
                    changed = sorted(table for table in WATCHED if after[table] != before[table])
                except Exception as error:  # noqa: BLE001 - a refusal that left pending writes
                    changed = [f"pending writes: {error}"]
            self.env.invalidate_all(flush=False)
            raise _Rollback
        return outcome, changed

    def _row_records(self):
        """The record each row's method is called on, per model."""
        return {
            "base.automation": self.automation,
            "crm.lead": self.lead,
            "ir.actions.server": self.recorder,
            "loyalty.card": self.card,
            "pr.badge": self.badge,
            "pr.behavior": self.social,
            "pr.event": self.event,
            "pr.experiment": self.experiment,
            "pr.experiment.variant": self.variant,
            "pr.feedback": self.feedback,
            "pr.ledger.entry": self.entry,
            "pr.member": self.member,
            "pr.offer.campaign": self.campaign,
            "pr.redemption": self.redemption,
            "pr.referral": self.referral,
            "pr.reward.rule": self.rule,
            "pr.surprise.gift": self.gift,
            "pr.tier": self.tier,
            "product.category": self.category,
            "product.template": self.product_template,
            "mailing.contact": self.subscriber,
            "rating.rating": self.rating,
            "res.company": self.company,
            "res.partner": self.customer,
            "sale.order": self.quotation,
            "survey.survey": self.survey,
            "survey.user_input": self.answer,
        }
