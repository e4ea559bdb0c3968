"""Birthdays and customer anniversaries: recorded as behaviours on the day, once a year, for the reward rules.

* The **birthday** is the contact's birth date (``pr_birth_date``), day and month only. A birthday on
  29 February is celebrated on 28 February in the years without one. A birth date entered or changed
  less than ``BIRTHDAY_NOTICE_DAYS`` days before the day earns nothing that year (``pr_birth_date_set_on``
  remembers when), so that nobody moves their birthday to today for a reward. It counts once a year
  per points holder (the commercial entity, or the contact when each contact has its own wallet).
* The **customer anniversary** is the anniversary of the customer's first purchase in the company:
  the first confirmed sales order of its commercial entity (as the *Customer anniversary* badge counts
  it) or its first recorded *First purchase* behaviour (a till order, through the point-of-sale bridge),
  whichever came first; a member without any is celebrated on the day it became a member. The first
  celebration is one year after.

Both are for loyalty members only, in each company where the customer is one, on the company's day.
"""

import calendar
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .pr_timezone import pr_local_date_sql

BIRTHDAY_NOTICE_DAYS = 30
CELEBRATIONS = ("birthday", "anniversary")


def same_day_sql(column, day):
    """SQL: the date ``column`` falls on the day and month of ``day`` (29 February on 28 February, in other years)."""
    condition = SQL("(EXTRACT(MONTH FROM %s) = %s AND EXTRACT(DAY FROM %s) = %s)", column, day.month, column, day.day)
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        condition = SQL("(%s OR (EXTRACT(MONTH FROM %s) = 2 AND EXTRACT(DAY FROM %s) = 29))", condition, column, column)
    return condition


class ResPartner(models.Model):
    _inherit = "res.partner"

    pr_birth_date = fields.Date(
        string="Birth Date",
        copy=False,
        tracking=True,
        groups="base.group_user",
        help="Only the day and the month count: the customer's birthday is recorded as a behaviour that "
        "reward rules may reward. A birth date entered or changed less than 30 days before the birthday "
        "earns nothing that year.",
    )
    pr_birth_date_set_on = fields.Datetime(
        string="Birth Date Entered On",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="When the birth date was last entered or changed.",
    )

    @api.constrains("pr_birth_date")
    def _check_pr_birth_date(self):
        today = fields.Date.context_today(self)
        if any(partner.pr_birth_date and partner.pr_birth_date > today for partner in self):
            raise ValidationError(self.env._("A birth date cannot be in the future."))

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            self._pr_prepare_birth_date_vals(vals)
            if vals.get("pr_birth_date") and "pr_birth_date_set_on" not in vals:
                vals["pr_birth_date_set_on"] = now
        return super().create(vals_list)

    def write(self, vals):
        vals = self._pr_prepare_birth_date_vals(dict(vals))
        if "pr_birth_date" not in vals or "pr_birth_date_set_on" in vals:
            return super().write(vals)
        new_date = fields.Date.to_date(vals["pr_birth_date"])
        self.check_access("write")  # before the old dates are read as superuser
        changed = self.sudo().filtered(lambda partner: partner.pr_birth_date != new_date)
        result = super().write(vals)
        if changed:
            changed.write({"pr_birth_date_set_on": new_date and fields.Datetime.now()})
        return result

    def _pr_prepare_birth_date_vals(self, vals):
        """When the birth date was entered is the engine's to write: only the superuser (a migration, a test) sets it."""
        if not self.env.su:
            vals.pop("pr_birth_date_set_on", None)
        return vals

    # ------------------------------------------------------------
    # CELEBRATIONS
    # ------------------------------------------------------------

    @api.model
    def _pr_birthday_values(self, company, behavior, day):
        """Event values of the birthdays of ``day`` among ``company``'s members' contacts, not yet recorded this year.

        One birthday a year per points holder: the holder's own birth date first, else its first contact's.
        """
        self.env.flush_all()
        holder = company._pr_holder_sql("p")
        key = SQL("'birthday:partner:' || %s || ':' || %s", holder, str(day.year))
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (%(holder)s) p.id, %(holder)s
                  FROM res_partner p
                  JOIN pr_member m ON m.partner_id = %(holder)s AND m.company_id = %(company)s
                 WHERE p.active AND p.pr_birth_date < %(day)s AND %(same_day)s
                   AND p.pr_birth_date_set_on < %(cutoff)s
                   AND NOT EXISTS (SELECT 1 FROM pr_event e WHERE e.company_id = %(company)s AND e.idempotency_key = %(key)s)
                 ORDER BY %(holder)s, p.id <> %(holder)s, p.id
                """,
                holder=holder,
                company=company.id,
                day=day,
                same_day=same_day_sql(SQL("p.pr_birth_date"), day),
                cutoff=company._pr_day_start(day - timedelta(days=BIRTHDAY_NOTICE_DAYS - 1)),
                key=key,
            )
        )
        rows = [(partner_id, partner_id, holder_id) for partner_id, holder_id in self.env.cr.fetchall()]
        return self._pr_day_events(company, behavior, day, "birthday", "res.partner", rows)

    @api.model
    def _pr_anniversary_values(self, company, behavior, day):
        """Event values of ``company``'s members whose first purchase (else membership) was on ``day``, years ago."""
        self.env.flush_all()
        first_purchase = self.env.ref("positive_reinforcement.pr_behavior_first_purchase", raise_if_not_found=False)
        tz = company._pr_tz()
        self.env.cr.execute(
            SQL(
                """
                WITH orders AS (
                    SELECT sp.commercial_partner_id, MIN(so.date_order) AS since
                      FROM sale_order so JOIN res_partner sp ON sp.id = so.partner_id
                     WHERE so.state = 'sale' AND so.company_id = %(company)s
                     GROUP BY 1
                ), firsts AS (
                    SELECT ep.commercial_partner_id, MIN(e.date) AS since
                      FROM pr_event e JOIN res_partner ep ON ep.id = e.partner_id
                     WHERE e.behavior_id = %(first_purchase)s AND e.company_id = %(company)s
                     GROUP BY 1
                ), members AS (
                    SELECT m.id, m.partner_id,
                           %(since)s AS since
                      FROM pr_member m
                      JOIN res_partner mp ON mp.id = m.partner_id
                      LEFT JOIN orders o ON o.commercial_partner_id = mp.commercial_partner_id
                      LEFT JOIN firsts f ON f.commercial_partner_id = mp.commercial_partner_id
                     WHERE m.company_id = %(company)s AND mp.active
                )
                SELECT id, partner_id FROM members
                 WHERE since < %(year_start)s AND %(same_day)s
                   AND NOT EXISTS (
                       SELECT 1 FROM pr_event e
                        WHERE e.company_id = %(company)s
                          AND e.idempotency_key = 'anniversary:partner:' || members.partner_id || ':' || %(year)s)
                 ORDER BY id
                """,
                company=company.id,
                first_purchase=first_purchase.id if first_purchase else None,
                since=pr_local_date_sql(SQL("COALESCE(LEAST(o.since, f.since), m.create_date)"), tz),
                year_start=day.replace(month=1, day=1),
                same_day=same_day_sql(SQL("since"), day),
                year=str(day.year),
            )
        )
        rows = [(partner_id, member_id, partner_id) for member_id, partner_id in self.env.cr.fetchall()]
        return self._pr_day_events(company, behavior, day, "anniversary", "pr.member", rows)

    @api.model
    def _pr_day_events(self, company, behavior, day, kind, source_model, rows):
        """Event values of ``behavior`` on ``day``, once a year per holder (``kind`` names the key, as the
        queries above look it up): ``rows`` of (contact, source id, holder)."""
        date = company._pr_day_start(day)
        return [
            {
                "partner_id": partner_id,
                "behavior_id": behavior.id,
                "company_id": company.id,
                "date": date,
                "source_model": source_model,
                "source_id": source_id,
                "idempotency_key": f"{kind}:partner:{holder_id}:{day.year}",
            }
            for partner_id, source_id, holder_id in rows
        ]

    # ------------------------------------------------------------
    # CRONS
    # ------------------------------------------------------------

    @api.model
    def _cron_pr_celebrate(self, batch_size=500):
        """Record today's birthdays and customer anniversaries, in every company on its own day.

        The candidates of the day are found first (those already recorded this year are not), then
        recorded in batches, committing after each: run twice, the cron records nothing twice.
        """
        behaviors = self.env["pr.behavior"].sudo()._by_code(CELEBRATIONS)
        values = []
        for company in self.env["res.company"].sudo().search([("active", "=", True)]):
            day = company._pr_today()
            if "birthday" in behaviors:
                values += self._pr_birthday_values(company, behaviors["birthday"], day)
            if "anniversary" in behaviors:
                values += self._pr_anniversary_values(company, behaviors["anniversary"], day)
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(values))
        for start in range(0, len(values), batch_size):
            batch = values[start : start + batch_size]
            self.env["pr.event"].sudo()._record(batch)
            if not cron._commit_progress(len(batch)):
                break
        return len(values)
