from odoo import fields, models

from .pr_i18n import _lt


class MailingContact(models.Model):
    _inherit = "mailing.contact"

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
        behavior_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "positive_reinforcement.pr_behavior_newsletter", raise_if_not_found=False
        )
        behavior = self.env["pr.behavior"].search_fetch([("id", "=", behavior_id), ("active", "=", True)], ["code"])
        if not behavior:
            return
        by_email = self._pr_partners()
        values = []
        for contact in self:
            subscription = contact.subscription_ids.filtered(lambda s: not s.opt_out)[:1]
            partner = by_email.get(contact.email_normalized)
            if partner and subscription:
                values.append(
                    {
                        "partner_id": partner.id,
                        "behavior_id": behavior.id,
                        "date": subscription.create_date or fields.Datetime.now(),
                        "source_model": subscription._name,
                        "source_id": subscription.id,
                        "idempotency_key": f"{behavior.code}:partner:{partner.commercial_partner_id.id}",
                    }
                )
        self.env["pr.event"]._record(values)

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
