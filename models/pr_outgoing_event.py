from datetime import timedelta

from odoo import api, fields, models
from odoo.tools.constants import GC_UNLINK_LIMIT

KINDS = [
    ("tier_changed", "Tier Changed"),
    ("points_posted", "Points Posted"),
    ("reward_redeemed", "Reward Redeemed"),
    ("referral_qualified", "Referral Qualified"),
    ("badge_earned", "Badge Earned"),
]
# The automated rules that run when an event is created (README, *Sending loyalty events to other systems*).
CREATE_TRIGGERS = ("on_create", "on_create_or_write")
KEEP_DAYS = 30


class PrOutgoingEvent(models.Model):
    """What the loyalty engine did, as records an automated rule can watch, to tell other systems.

    The engine writes ledger entries, tier changes, badges and referral qualifications with set-based
    SQL, which Odoo's automated rules never see. It also creates one of these records per fact, in
    one ORM ``create`` per batch, so that a rule on *Loyalty Events Out* (e.g. *Send Webhook
    Notification*) runs for them. Nothing is created, and nothing is queried, while no active rule
    watches the model. Events older than 30 days are deleted by the autovacuum.
    """

    _name = "pr.outgoing.event"
    _description = "Loyalty Event Out"
    _order = "id desc"

    kind = fields.Selection(KINDS, string="Event", required=True, readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, index=True, ondelete="cascade")
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    points = fields.Integer(readonly=True, help="Signed: positive when credited, negative when debited.")
    tier_id = fields.Many2one("pr.tier", readonly=True, ondelete="set null")
    res_model = fields.Char(string="Source Model", readonly=True)
    res_id = fields.Many2oneReference(string="Source Record", model_field="res_model", readonly=True)
    payload = fields.Json(readonly=True, help="What another system needs to know of the event.")
    summary = fields.Char(compute="_compute_summary")

    @api.depends("kind", "points", "tier_id", "payload")
    def _compute_summary(self):
        for event in self:
            payload = event.payload or {}
            if event.kind == "tier_changed":
                if payload.get("reason") == "downgrade":
                    event.summary = self.env._("Moved down to %(tier)s", tier=event.tier_id.name or "")
                else:
                    event.summary = self.env._("Upgraded to %(tier)s", tier=event.tier_id.name or "")
            elif event.kind == "points_posted":
                event.summary = self.env._("%(points)s points posted", points=event.points)
            elif event.kind == "reward_redeemed":
                event.summary = self.env._("Redeemed %(reward)s", reward=payload.get("reward_name") or "")
            elif event.kind == "referral_qualified":
                event.summary = self.env._("Referral qualified")
            elif event.kind == "badge_earned":
                event.summary = self.env._("Earned the badge %(badge)s.", badge=payload.get("badge_name") or "")
            else:
                event.summary = False

    def _compute_display_name(self):
        for event in self:
            event.display_name = event.summary or ""

    # ------------------------------------------------------------
    # EMITTING
    # ------------------------------------------------------------

    @api.model
    def _pr_listened(self):
        """Whether an active automated rule runs when an event is created (cached: no query)."""
        return bool(self.env["base.automation"]._pr_automation_ids(self._name, CREATE_TRIGGERS))

    @api.model
    def _pr_emit(self, vals_list):
        """Create the events of ``vals_list`` in one ``create``, so that the rules on them run, batched.

        Nothing happens while no rule listens: ``vals_list`` is not even iterated, so a generator
        reads nothing then. Each value carries ``kind``, ``partner_id``, ``company_id``, ``res_model``,
        ``res_id`` and optionally ``points``, ``tier_id`` and ``payload`` (the kind's own keys); the
        payload gets the customer's and the tier's identity and the source record in one read each.

        :return: the events created
        """
        if not self._pr_listened():
            return self.browse()
        vals_list = [dict(vals) for vals in vals_list]
        if not vals_list:
            return self.browse()
        partners = self.env["res.partner"].sudo().browse({v["partner_id"] for v in vals_list if v.get("partner_id")})
        partners.fetch(["name", "email", "ref"])
        tiers = self.env["pr.tier"].sudo().browse({v["tier_id"] for v in vals_list if v.get("tier_id")})
        tiers.with_context(lang="en_US").fetch(["name"])
        for vals in vals_list:
            partner = partners.browse(vals.get("partner_id"))
            tier = tiers.browse(vals.get("tier_id")).with_context(lang="en_US")
            vals["payload"] = {
                "kind": vals["kind"],
                "partner_id": partner.id or False,
                "partner_name": partner.name or False,
                "partner_email": partner.email or False,
                "partner_ref": partner.ref or False,
                "company_id": vals.get("company_id") or False,
                "points": vals.get("points") or 0,
                "tier_id": tier.id or False,
                "tier_name": tier.name or False,
                "res_model": vals.get("res_model") or False,
                "res_id": vals.get("res_id") or False,
                **(vals.get("payload") or {}),
            }
        return self.sudo().create(vals_list)

    # ------------------------------------------------------------
    # AUTOVACUUM
    # ------------------------------------------------------------

    @api.autovacuum
    def _gc_outgoing_events(self):
        """Events are for the rules that ran when they were created: keep a month, for troubleshooting."""
        limit = fields.Datetime.now() - timedelta(days=KEEP_DAYS)
        events = self.sudo().search([("create_date", "<", limit)], limit=GC_UNLINK_LIMIT)
        done = len(events)
        events.unlink()
        return done, done == GC_UNLINK_LIMIT  # (vacuumed, more left: run again)
