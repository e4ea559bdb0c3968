from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import format_datetime

from ..models.pr_i18n import _lt, acting_reader_lang, env_in, reader_lang, write_translated

MANAGER = "positive_reinforcement.positive_reinforcement_group_manager"
# The contact's own details, erased; the record stays, for the ledger rows that point to it.
PARTNER_ERASED = (
    "email",
    "phone",
    "street",
    "street2",
    "city",
    "zip",
    "state_id",
    "vat",
    "website",
    "comment",
    "function",
    "ref",
    "image_1920",
    "pr_birth_date",
    "pr_birth_date_set_on",
)


class PrAnonymizeWizard(models.TransientModel):
    """A customer asked to be forgotten: erase what the addon holds about them, keep the ledger balanced.

    The ledger is append-only: its rows keep their points and dates and still point to the contact,
    which is kept, renamed, emptied of its details and archived.
    """

    _name = "pr.anonymize.wizard"
    _description = "Anonymise a Customer"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, ondelete="cascade")
    summary = fields.Text(string="What Will Be Erased", compute="_compute_findings")
    warnings = fields.Text(compute="_compute_findings")
    has_warnings = fields.Boolean(compute="_compute_findings")
    confirm = fields.Boolean(string="I understand", help="Required when the customer would lose coupons or points.")

    @api.depends("partner_id")
    def _compute_findings(self):
        for wizard in self:
            if not wizard.partner_id:
                wizard.summary = wizard.warnings = False
                wizard.has_warnings = False
                continue
            found = wizard._findings()
            counts = {
                "hashed": len(found["hashed"]),
                "invitations": len(found["invitations"]),
                "feedback": len(found["feedback"]),
                "leaderboard": found["leaderboard"],
                "events": len(found["events"]),
            }
            counted = [
                (
                    counts["hashed"],
                    self.env._("%(count)s network-address hashes of referrals.", count=counts["hashed"]),
                ),
                (
                    counts["invitations"],
                    self.env._("%(count)s invitations: the friends' emails and names.", count=counts["invitations"]),
                ),
                (counts["feedback"], self.env._("%(count)s feedback comments.", count=counts["feedback"])),
                (counts["leaderboard"], self.env._("%(count)s leaderboard entries.", count=counts["leaderboard"])),
                (
                    counts["events"],
                    self.env._("%(count)s behaviour event messages naming the customer.", count=counts["events"]),
                ),
            ]
            lines = [
                self.env._(
                    "The contact's name, email, phone, address, tax ID, website, notes, birth date and picture."
                ),
                *(text for count, text in counted if count),  # only what there is to erase
            ]
            warnings = []
            if found["coupons"]:
                warnings.append(
                    self.env._(
                        "%(count)s coupons or eWallet credits from rewards are unused: the customer loses them.",
                        count=len(found["coupons"]),
                    )
                )
            if found["pending"]:
                warnings.append(
                    self.env._("%(points)s points are still pending: the customer loses them.", points=found["pending"])
                )
            wizard.summary = "\n".join(lines)
            wizard.warnings = "\n".join(warnings) or False
            wizard.has_warnings = bool(warnings)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_anonymize(self):
        """Erase the customer's personal data held by the addon, for good; managers only."""
        if not self.env.user.has_group(MANAGER):
            raise AccessError(self.env._("Only a Positive Reinforcement manager can anonymise a customer."))
        self.ensure_one()
        partner = self.partner_id.sudo()
        if partner.with_context(active_test=False).user_ids.filtered("active"):
            raise UserError(
                self.env._(
                    "%(customer)s has a user account: archive it before anonymising the customer.",
                    customer=partner.display_name,
                )
            )
        found = self._findings()
        if (found["coupons"] or found["pending"]) and not self.confirm:
            raise UserError(
                self.env._(
                    "The customer has unused coupons or pending points: tick 'I understand' to anonymise anyway."
                )
            )
        found["hashed"].write({"ip_hash": False})
        found["leads"].write({"pr_join_ip_hash": False})
        self._erase_invitations(found["invitations"])
        found["as_friend"].write({"friend_email": False})
        self._erase_feedback(found["feedback"])
        write_translated(found["events"], "message", _lt("Removed: it named an anonymised customer."))
        found["own_events"].filtered("partner_email").write({"partner_email": False})
        self._erase_partner(partner)
        return {"type": "ir.actions.act_window_close"}

    # ------------------------------------------------------------
    # TOOLS
    # ------------------------------------------------------------

    def _findings(self):
        """What the addon holds about the customer, as superuser recordsets (and counts)."""
        self.ensure_one()
        partner = self.partner_id.sudo()
        env = partner.env
        Referral = env["pr.referral"]
        referrals = Referral.search(["|", ("referrer_id", "=", partner.id), ("friend_partner_id", "=", partner.id)])
        as_friend = referrals.filtered(lambda r: r.friend_partner_id == partner)
        invitations = referrals.filtered(lambda r: r.referrer_id == partner and not r.friend_partner_id)
        leads = (
            env["crm.lead"]
            .with_context(active_test=False)
            .search(
                [
                    ("pr_join_ip_hash", "!=", False),
                    "|",
                    ("partner_id", "=", partner.id),
                    ("id", "in", as_friend.friend_lead_id.ids),
                ]
            )
        )
        feedback = env["pr.feedback"].search(["|", ("partner_id", "=", partner.id), ("contact_id", "=", partner.id)])
        holders = partner | partner.commercial_partner_id
        members = env["pr.member"].search([("partner_id", "in", holders.ids)])
        redemptions = env["pr.redemption"].search(
            [("partner_id", "in", holders.ids), ("state", "=", "done"), ("coupon_id", "!=", False)]
        )
        return {
            "hashed": referrals.filtered("ip_hash"),
            "leads": leads,
            "invitations": invitations,
            "as_friend": as_friend,
            "feedback": feedback.filtered("comment"),
            "leaderboard": env["pr.leaderboard"].search_count([("partner_id", "=", partner.id)]),
            "events": self._events_naming(partner),
            "own_events": env["pr.event"].search([("partner_id", "=", partner.id)]),
            "coupons": redemptions.coupon_id.filtered(self._is_unused),
            "pending": sum(members.mapped("points_pending")),
        }

    @api.model
    def _is_unused(self, card):
        if card.program_id.program_type == "ewallet":
            return card.points > 0
        return card.points > 0 and not card.use_count

    @api.model
    def _events_naming(self, partner):
        """Behaviour events whose message, in any language, holds the customer's name or email."""
        needles = [n for n in (partner.name, partner.email_normalized) if n and len(n.strip()) >= 3]
        if not needles:
            return self.env["pr.event"].sudo()
        patterns = [
            "%" + n.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for n in needles
        ]
        self.env["pr.event"].flush_model(["message"])
        self.env.cr.execute(
            SQL(
                "SELECT e.id FROM pr_event e WHERE e.message IS NOT NULL AND EXISTS "
                "(SELECT 1 FROM jsonb_each_text(e.message) t WHERE t.value ILIKE ANY(%s))",
                patterns,
            )
        )
        return self.env["pr.event"].sudo().browse([row[0] for row in self.env.cr.fetchall()])

    def _shared_env(self):
        """Names everyone reads (a contact's, a friend's) are written in the company's language."""
        return env_in(self.env, reader_lang(self.env, company=self.env.company))

    def _erase_invitations(self, invitations):
        """The friends' addresses the customer gave, and the invitation emails still waiting to be sent."""
        if not invitations:
            return
        invitations.write({"friend_email": False})
        invitations.write({"friend_name": self._shared_env()._("Anonymised friend")})
        self.env["mail.mail"].sudo().search([("model", "=", "pr.referral"), ("res_id", "in", invitations.ids)]).unlink()

    def _erase_feedback(self, feedback):
        feedback.write({"comment": False})
        ratings = feedback.filtered(lambda f: f.source_model == "rating.rating")
        if ratings:
            self.env["rating.rating"].sudo().browse(ratings.mapped("source_id")).exists().write({"feedback": False})

    def _erase_partner(self, partner):
        """Rename, empty and archive the contact; the old values leave no trace in its tracking either."""
        vals = dict.fromkeys((f for f in PARTNER_ERASED if f in partner._fields), False)
        vals.update(
            name=self._shared_env()._("Anonymised customer %(id)s", id=partner.id),
            pr_leaderboard_opt_in=False,
            active=False,
        )
        partner.with_context(tracking_disable=True, mail_notrack=True).write(vals)
        tracked = [f for f in (*PARTNER_ERASED, "name") if f in partner._fields]
        self.env["mail.tracking.value"].sudo().search(
            [
                ("mail_message_id.model", "=", "res.partner"),
                ("mail_message_id.res_id", "=", partner.id),
                ("field_id.name", "in", tracked),
            ]
        ).unlink()
        # The manager who acted reads the log in their own language, whatever the context of the call.
        env = env_in(self.env, acting_reader_lang(self.env, self.env.company))
        partner.message_post(
            body=env._(
                "Anonymised by %(user)s on %(date)s at the customer's request (was contact #%(id)s). "
                "This cannot be undone.",
                user=env.user.name,
                date=format_datetime(env, fields.Datetime.now()),
                id=partner.id,
            ),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
