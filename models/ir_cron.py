from odoo import api, fields, models
from odoo.tools import SQL

PRECOMMIT_KEY = "positive_reinforcement.cron_triggers"
WRITTEN_KEY = "positive_reinforcement.cron_triggers_written"


class IrCron(models.Model):
    _inherit = "ir.cron"

    @api.model
    def _pr_trigger_once(self, xmlid):
        """Have the cron ``xmlid`` run soon after this transaction, however many times it is asked.

        ``_trigger()`` inserts a trigger row and, after the commit, wakes the cron workers through
        another database connection (a few milliseconds): called for every recorded event, every
        document paid for it. The crons asked for are triggered once, just before the commit, with the
        transaction (nothing is asked if it rolls back), in one statement. The workers are not woken:
        they find the trigger at their next look, within the minute (``SLEEP_INTERVAL``), which is soon
        enough for points and costs the salesperson nothing.
        """
        if xmlid in self.env.cr.precommit.data.get(WRITTEN_KEY, ()):
            return
        requested = self.env.cr.precommit.data.setdefault(PRECOMMIT_KEY, set())
        if not requested:
            self.env.cr.precommit.add(self._pr_write_triggers)
        requested.add(xmlid)

    @api.model
    def _pr_insert_and_trigger(self, insert, xmlid):
        """Run ``insert`` (an ``INSERT … RETURNING``) and, when it inserts rows, trigger the cron ``xmlid`` in the same statement.

        The trigger is written once per transaction: the first insert that needs it carries it, as a
        data-modifying ``WITH``; the later ones (and ``_pr_trigger_once``) then write none. Returns the
        rows ``insert`` returned.
        """
        written = self.env.cr.precommit.data.setdefault(WRITTEN_KEY, set())
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id(xmlid)
        if xmlid in written or not cron_id:
            self.env.cr.execute(insert)
            return self.env.cr.fetchall()
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                WITH inserted AS (%(insert)s),
                     triggered AS (
                        INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, create_date, write_uid, write_date)
                        SELECT c.id, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s FROM ir_cron c
                         WHERE c.id = %(cron)s AND c.active AND EXISTS (SELECT 1 FROM inserted)
                     )
                SELECT * FROM inserted
                """,
                insert=insert,
                now=now,
                uid=self.env.uid,
                cron=cron_id,
            )
        )
        rows = self.env.cr.fetchall()
        if rows:
            written.add(xmlid)
            self.env.cr.precommit.data.get(PRECOMMIT_KEY, set()).discard(xmlid)
        return rows

    @api.model
    def _pr_write_triggers(self):
        """A trigger for each active cron asked for, as ``_trigger()`` writes it (the workers find it, see above)."""
        xmlids = self.env.cr.precommit.data.pop(PRECOMMIT_KEY, ())
        cron_ids = [self.env["ir.model.data"]._xmlid_to_res_id(xmlid) for xmlid in sorted(xmlids)]
        if not cron_ids:
            return
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, create_date, write_uid, write_date)
                SELECT c.id, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s FROM ir_cron c
                 WHERE c.id = ANY(%(ids)s) AND c.active
                """,
                now=now,
                uid=self.env.uid,
                ids=cron_ids,
            )
        )
