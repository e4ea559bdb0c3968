"""The company's days and months: wherever a date is taken from a date-time, it is the company's date.

Odoo stores date-times in UTC. An order placed at 06:00 on the 1st in Jakarta is stored at 23:00 on
the last day of the month before: its day, its month, the limits and budgets it counts in and the
dates computed from it (release, expiry) are those of the company's time zone, given by
``res.company._pr_tz``. These helpers do the conversion in Python and in SQL, so that both agree.
"""

from datetime import datetime, time

import pytz

from odoo.tools import SQL


def pr_local_date(value, tz):
    """The day, in the time zone named ``tz``, of ``value``, a naive UTC date-time as Odoo stores it."""
    return pytz.utc.localize(value).astimezone(pytz.timezone(tz)).date()


def pr_day_start(day, tz):
    """The naive UTC date-time (as stored) at which ``day`` begins in the time zone named ``tz``."""
    return pytz.timezone(tz).localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)


def pr_local_date_sql(column, tz):
    """SQL for the day, in the time zone ``tz`` (a name, or SQL giving one), of ``column``, a UTC date-time
    (``timestamp without time zone``, as Odoo stores them)."""
    return SQL("(%s AT TIME ZONE 'UTC' AT TIME ZONE %s)::date", column, tz)


def pr_local_month_sql(column, tz):
    """SQL for the first day of the month, in the time zone ``tz`` (a name, or SQL giving one), of ``column``,
    a UTC date-time."""
    return SQL("date_trunc('month', %s AT TIME ZONE 'UTC' AT TIME ZONE %s)::date", column, tz)


def pr_company_tz_table(fallback="UTC"):
    """SQL for a table ``(company_id, tz)`` of every company's time zone, to join where the company varies by row.

    A company's time zone is that of its address; ``fallback`` for a company without one: the current
    user's, as ``res.company._pr_tz`` (see ``res.company._pr_tz_table``), or UTC where no user is known
    (the reports' SQL views).
    """
    return SQL(
        """(SELECT tzc.id AS company_id, COALESCE(NULLIF(tzp.tz, ''), %s) AS tz
              FROM res_company tzc JOIN res_partner tzp ON tzp.id = tzc.partner_id)""",
        fallback,
    )
