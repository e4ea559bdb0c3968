from odoo import api, fields, models
from odoo.tools import SQL

from .pr_i18n import _lt

# Subscribing a contact to lists, or taking them off.
SUBSCRIPTION_FIELDS = {"list_ids", "subscription_ids"}


class MailingContact(models.Model):
    """Subscribers: a customer's first subscription to the newsletter is rewarded, moments later.

    A new contact, or one whose lists change, is noted in the statement that writes it (no query of
    its own); the newsletter rule runs on them from the cron that runs automated rules moments later
    (``base_automation_later.py``), as it would have in the transaction.
    """

    _name = "mailing.contact"
    _inherit = ["mailing.contact", "pr.later.mixin"]

    @api.model_create_multi
    def create(self, vals_list):
        self._pr_check_later(vals_list)
        # Every new contact: the lists given by the context's defaults are only known inside create.
        return super().create([self._pr_later_mark(vals) for vals in vals_list])

    def write(self, vals):
        self._pr_check_later([vals])
        if SUBSCRIPTION_FIELDS & vals.keys():
            vals = self._pr_later_mark(vals)
        return super().write(vals)

    def _pr_partners(self):
        """Customers matched on the subscribers' normalized email, the oldest contact first."""
        emails = [email for email in self.mapped("email_normalized") if email]
        partners = (
            self.env["res.partner"].search_fetch(
                [("email_normalized", "in", emails)], ["email_normalized", "commercial_partner_id"], order="id"
            )
            if emails
            else []
        )
        by_email = {}
        for partner in partners:
            by_email.setdefault(partner.email_normalized, partner)
        return by_email

    def _pr_record_subscriptions(self):
        """Subscribing to the newsletter: recorded once per customer, whatever the list."""
        behavior = self.env["pr.behavior"]._active_by_xmlid("positive_reinforcement.pr_behavior_newsletter")
        if not behavior:
            return
        behavior_id, code = behavior
        rows = self._pr_subscribed_customers()
        values = [
            {
                "partner_id": rows[contact.id]["partner_id"],
                "behavior_id": behavior_id,
                "date": rows[contact.id]["date"] or fields.Datetime.now(),
                "source_model": "mailing.subscription",
                "source_id": rows[contact.id]["subscription_id"],
                "idempotency_key": f"{code}:partner:{rows[contact.id]['holder_id']}",
            }
            for contact in self
            if contact.id in rows
        ]
        self.env["pr.event"]._record(values)

    def _pr_subscribed_customers(self):
        """``{contact id: row}`` for the subscribers with a subscription not opted out and a customer of
        the same normalized email, in one query (a subscription is another app's hot path).

        Each row gives the first such subscription (``subscription_id``, its creation ``date``), in the
        order of ``subscription_ids``, and the oldest active customer (``partner_id``) with its
        commercial entity (``holder_id``), as ``_pr_partners`` finds it.
        """
        self.env["mailing.contact"].flush_model(["email_normalized"])
        self.env["mailing.subscription"].flush_model(["contact_id", "list_id", "opt_out"])
        self.env["mailing.list"].flush_model(["name"])
        self.env["res.partner"].flush_model(["email_normalized", "active", "commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT c.id, s.id, s.create_date, p.id, p.commercial_partner_id
                  FROM mailing_contact c
                  JOIN LATERAL (
                        SELECT s.id, s.create_date FROM mailing_subscription s
                          JOIN mailing_list l ON l.id = s.list_id
                         WHERE s.contact_id = c.id AND s.opt_out IS NOT TRUE
                         ORDER BY l.name DESC, s.id LIMIT 1
                       ) s ON TRUE
                  JOIN LATERAL (
                        SELECT p.id, p.commercial_partner_id FROM res_partner p
                         WHERE p.email_normalized = c.email_normalized AND p.active
                         ORDER BY p.id LIMIT 1
                       ) p ON TRUE
                 WHERE c.id = ANY(%s)
                """,
                self.ids,
            )
        )
        return {
            row[0]: {"subscription_id": row[1], "date": row[2], "partner_id": row[3], "holder_id": row[4]}
            for row in rows
        }

    def _pr_record_unsubscriptions(self):
        """Unsubscribing from every list takes back the newsletter reward, so that nobody games it."""
        behavior = self.env.ref("positive_reinforcement.pr_behavior_newsletter", raise_if_not_found=False)
        by_email = self._pr_partners()
        still = self.env["mailing.subscription"].search(
            [("contact_id.email_normalized", "in", list(by_email)), ("opt_out", "=", False)]
        )
        still_emails = set(still.contact_id.mapped("email_normalized"))
        partners = self.env["res.partner"].browse(
            [partner.id for email, partner in by_email.items() if email not in still_emails]
        )
        if not behavior or not partners:
            return
        decisions = (
            self.env["pr.event.decision"]
            .sudo()
            .search(
                [
                    ("event_id.behavior_id", "=", behavior.id),
                    ("event_id.partner_id", "in", partners.ids),
                    ("outcome", "=", "granted"),
                    ("entry_id", "!=", False),
                ]
            )
        )
        movements = [
            {
                "reversed_entry_id": decision.entry_id.id,
                "points": -decision.entry_id.reversible_points,
                "reason": _lt("Unsubscribed from the newsletter"),
                "idempotency_key": f"unsubscribe:{decision.entry_id.id}",
            }
            for decision in decisions
            if decision.entry_id.reversible_points > 0
        ]
        if movements:
            self.env["pr.ledger.entry"].sudo()._post_movements(movements)
