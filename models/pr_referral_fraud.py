from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..pr_lib.referral import normalize_address, normalize_phone, same_phone


class PrReferral(models.Model):
    """The fraud checks of a referral about to qualify: what a manager should look at before rewarding it."""

    _inherit = "pr.referral"  # pylint: disable=consider-merging-classes-inherited

    def _fraud_flags(self):
        """``{referral id: [(code, params)]}`` for the referrals a manager should look at before rewarding.

        Codes, not texts: ``flags`` shows them in the language of whoever reads the referral. The
        referrer is compared with the friend's contact and, for a friend who came as a lead, with
        the lead's own details too: a lead typed with the referrer's phone is flagged like a signup.
        """
        flags = defaultdict(list)
        for referral in self:
            referrer = referral.referrer_id
            friend = referral.friend_partner_id or referral.friend_lead_id.partner_id
            mine = self._identity(referrer)
            found = []
            for theirs in (self._identity(friend), self._identity(referral.friend_lead_id)):
                checks = (
                    ("same_email", mine["email"] and mine["email"] == theirs["email"]),
                    ("same_phone", same_phone(mine["phone"], theirs["phone"])),
                    ("same_vat", mine["vat"] and mine["vat"] == theirs["vat"]),
                    ("same_address", mine["address"] and mine["address"] == theirs["address"]),
                )
                found += [code for code, same in checks if same and code not in found]
            if friend and referrer.pr_referred_by_id.commercial_partner_id == friend.commercial_partner_id:
                found.append("circular")
            flags[referral.id] += [(code, {}) for code in found]
        self._flag_existing_customers(flags)
        self._flag_caps(flags)
        self._flag_networks(flags)
        return {referral_id: codes for referral_id, codes in flags.items() if codes}

    @api.model
    def _identity(self, record):
        """What tells a person apart on a contact or a lead: email, phone, tax ID and delivery address."""
        if not record:
            return dict.fromkeys(("email", "phone", "vat", "address"), None)
        is_partner = record._name == "res.partner"
        delivery = (is_partner and record.child_ids.filtered(lambda c: c.type == "delivery")[:1]) or record
        country = record.country_id or self.env.company.country_id
        # E.164 when the phonenumbers library is there; digits only (same_phone) either way
        phone = record.phone and (record._phone_format(number=record.phone, country=country) or record.phone)
        return {
            "email": record.email_normalized or None,
            "phone": normalize_phone(phone),
            "vat": (is_partner and (record.vat or "").upper()) or None,
            "address": normalize_address(delivery.street, delivery.zip, delivery.city),
        }

    def _flag_existing_customers(self, flags):
        friends = self.friend_partner_id.commercial_partner_id
        if not friends:
            return
        self.env.cr.execute(
            SQL(
                """
                SELECT r.id FROM pr_referral r
                  JOIN res_partner friend ON friend.id = r.friend_partner_id
                 WHERE r.id = ANY(%s) AND EXISTS (
                       SELECT 1 FROM sale_order so JOIN res_partner buyer ON buyer.id = so.partner_id
                        WHERE buyer.commercial_partner_id = friend.commercial_partner_id
                          AND so.state = 'sale' AND so.date_order < r.date)
                """,
                self.ids,
            )
        )
        for (referral_id,) in self.env.cr.fetchall():
            flags[referral_id].append(("existing_customer", {}))

    def _flag_caps(self, flags):
        """More qualified referrals this month (the company's, in its time zone) than it allows per referrer."""
        counts = {}
        for company, referrals in self.grouped("company_id").items():
            month_start = company._pr_day_start(company._pr_today().replace(day=1))
            for referrer, count in self.sudo()._read_group(
                [
                    ("company_id", "=", company.id),
                    ("referrer_id", "in", referrals.referrer_id.ids),
                    ("state", "in", ("qualified", "rewarded")),
                    ("qualified_date", ">=", month_start),
                ],
                ["referrer_id"],
                ["__count"],
            ):
                counts[company, referrer] = count
        seen = defaultdict(int)
        for referral in self.sorted("id"):
            cap = referral.company_id.pr_referral_cap
            key = (referral.company_id, referral.referrer_id)
            seen[key] += 1
            if cap and counts.get(key, 0) + seen[key] > cap:
                flags[referral.id].append(("cap", {"cap": cap}))

    def _flag_networks(self, flags):
        """Many signups from one network address within an hour."""
        hashed = self.sudo().filtered("ip_hash")
        if not hashed:
            return
        counts = dict(
            self.sudo()._read_group(
                [
                    ("ip_hash", "in", hashed.mapped("ip_hash")),
                    ("date", ">=", fields.Datetime.now() - timedelta(hours=1)),
                ],
                ["ip_hash"],
                ["__count"],
            )
        )
        for referral in hashed:
            limit = referral.company_id.pr_referral_signup_limit
            if limit and counts.get(referral.ip_hash, 0) > limit:
                flags[referral.id].append(("network", {}))
