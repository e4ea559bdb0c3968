from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, plaintext2html

ATTACH_PRECOMMIT_KEY = "positive_reinforcement.leads_with_customer"
JOIN_LOCK_NAMESPACE = 0x5052  # "PR": the advisory locks of the referral page, apart from other modules' locks


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "pr.referred.mixin"]
    _pr_friend_field = "friend_lead_id"
    _pr_friend_argument = "lead"

    # crm already has a "Referred By" text field
    pr_referred_by_id = fields.Many2one(string="Referring Customer")
    pr_join_ip_hash = fields.Char(
        string="Referral Page Network",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="base.group_system",
        help="Salted hash of the network address the details came from on the referral page, erased after a day.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        self._pr_check_attribution(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._pr_check_attribution([vals])
        result = super().write(vals)
        if vals.get("partner_id"):
            self._pr_attach_friend_before_commit()
        return result

    def _pr_attach_friend_before_commit(self):
        """Attach the referrals of leads that get a customer once per transaction, just before it commits.

        Leads are converted one write at a time: looking their referrals up at each write cost every
        conversion a query, for the few leads that were referred.
        """
        lead_ids = self.env.cr.precommit.data.setdefault(ATTACH_PRECOMMIT_KEY, set())
        if not lead_ids:
            self.env.cr.precommit.add(self.browse()._pr_attach_friends_now)
        lead_ids.update(self.ids)

    def _pr_attach_friends_now(self):
        leads = self.browse(self.env.cr.precommit.data.pop(ATTACH_PRECOMMIT_KEY, ()))
        leads._pr_attach_friend()
        self.env.flush_all()  # after the transaction's flush: written here, or never

    def _pr_attach_friend(self):
        """A referred lead that gets its customer: the referral now follows that customer's orders."""
        referrals = (
            self.env["pr.referral"]
            .sudo()
            .search([("friend_lead_id", "in", self.ids), ("friend_partner_id", "=", False)])
        )
        for referral in referrals:
            if not referral.search_count([("friend_partner_id", "=", referral.friend_lead_id.partner_id.id)], limit=1):
                referral.friend_partner_id = referral.friend_lead_id.partner_id

    @api.model
    def _pr_check_join_limit(self, ip_hash):
        """Refuse one more lead from the referral page when this network address left its hourly share.

        The count is read from the database, so it holds across workers; a transaction lock per address
        makes simultaneous requests from one address count one after the other.
        """
        limit = self.env.company.pr_referral_join_limit
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, %s)", JOIN_LOCK_NAMESPACE, int(ip_hash[:7], 16)))
        self.flush_model(["pr_join_ip_hash"])
        self.env.cr.execute(
            SQL(
                "SELECT COUNT(*) FROM crm_lead WHERE pr_join_ip_hash = %s AND create_date >= %s",
                ip_hash,
                fields.Datetime.now() - timedelta(hours=1),
            )
        )
        if self.env.cr.fetchone()[0] >= limit:
            raise UserError(
                self.env._("We already received many requests from your network. Please try again in an hour.")
            )

    # ------------------------------------------------------------
    # REFERRAL PAGE
    # ------------------------------------------------------------

    @api.model
    def _pr_create_from_referral_page(self, details, referrer, ip=None, ip_hash=None):
        """The lead of a friend who left details on the referral page, ready for sales at once.

        It has a salesperson (see ``_pr_referral_assignment``) and shows who referred the friend from
        the start; ``details`` are the page's checked fields (name, email, phone, company, message).
        A referral the checks refuse (the referrer's own email) leaves the lead, with the reason in
        its chatter for the salesperson. Runs as superuser in the company of the referral.
        """
        salesperson, team = self._pr_referral_assignment(referrer)
        reader = self.with_context(lang=self._pr_reader_lang(salesperson or team.user_id))
        lead = self.create(
            {
                "name": reader.env._("Referred friend: %(name)s", name=details["name"]),
                "contact_name": details["name"],
                "partner_name": details.get("company") or False,
                "email_from": details["email"],
                "phone": details.get("phone") or False,
                "description": plaintext2html(details["message"]) if details.get("message") else False,
                "type": "lead" if self._pr_use_leads() and (not team or team.use_leads) else "opportunity",
                "company_id": self.env.company.id,
                "user_id": salesperson.id,
                "team_id": team.id,
                "pr_join_ip_hash": ip_hash,
            }
        )
        if team and not salesperson and self._pr_usable_salesperson(team.user_id):
            lead.with_context(lang=reader.env.lang)._assign_userless_lead_in_team(reader.env._("the referral page"))
        if referrer:
            try:
                reader.env["pr.referral"]._refer(referrer, lead=lead, channel="link", ip=ip, email=details["email"])
            except UserError as error:
                lead._message_log(
                    body=reader.env._(
                        "Not recorded as referred by %(referrer)s: %(reason)s",
                        referrer=referrer.commercial_partner_id.name,
                        reason=error.args[0],
                    )
                )
        return lead

    @api.model
    def _pr_referral_assignment(self, referrer):
        """``(salesperson, team)`` of a lead from the referral page.

        The referrer's salesperson when usable; otherwise what crm does for website leads: the
        company's default lead team, whose leader crm's ``_assign_userless_lead_in_team`` picks,
        unless the rule-based assignment is on, which hands the lead to a member. Never a share,
        archived (OdooBot) or foreign-company user: rather no salesperson than one nobody reads.
        """
        domain = [("use_leads", "=", True)] if self._pr_use_leads() else [("use_opportunities", "=", True)]
        salesperson = referrer.commercial_partner_id.user_id
        if not self._pr_usable_salesperson(salesperson):
            salesperson = self.env["res.users"]
        return salesperson, self.env["crm.team"]._get_default_team_id(user_id=salesperson.id, domain=domain)

    @api.model
    def _pr_use_leads(self):
        """Whether the company qualifies leads before the pipeline (crm's "Leads" setting)."""
        return self.env.ref("crm.group_use_lead") in self.env.ref("base.group_user").all_implied_ids

    @api.model
    def _pr_usable_salesperson(self, user):
        """An active internal user of the lead's company: someone who will read the lead."""
        return bool(user and user.active and not user.share and self.env.company in user.company_ids)

    @api.model
    def _pr_reader_lang(self, user):
        """The language the lead's texts are written in: its salesperson's, else the company's."""
        return user.lang or self.env.company.partner_id.lang or self.env.lang

    @api.model
    def _pr_qualify_won(self):
        """Won opportunities qualify the referrals of B2B friends."""
        referrals = self.env["pr.referral"].sudo().search([("friend_lead_id", "in", self.ids)])
        return referrals._qualify()
