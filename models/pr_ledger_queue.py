import logging

from odoo import api, fields, models
from odoo.tools import SQL

from .idempotency import bulk_insert_query
from .pr_retry import failed_alone

_logger = logging.getLogger(__name__)

PRECOMMIT_KEY = "positive_reinforcement.ledger_queue"
CRON = "positive_reinforcement.ir_cron_settle_documents"
# A document whose settlement failed this many times waits for a manager (the cron's log says why).
MAX_ATTEMPTS = 3


class PrLedgerQueue(models.Model):
    """Invoices paid and credit notes posted, whose points the ledger settles soon after.

    Registering a payment or posting a credit note is work many people do many times a day: the
    addon only notes the document there, for the whole transaction in one statement that also wakes
    the cron, and the cron settles it with the ledger's engine moments later (the points of the paid
    orders made available, those of a credit note taken back and its spent points given back), in
    batches, each document once. Settling twice changes nothing: the ledger's idempotency keys say
    what was done.
    """

    _name = "pr.ledger.queue"
    _description = "Documents Waiting for the Points Ledger"
    _order = "id"

    kind = fields.Selection(
        [("release", "Release the Points of a Paid Invoice"), ("claw_back", "Take Back the Points of a Credit Note")],
        required=True,
        readonly=True,
    )
    move_id = fields.Many2one("account.move", string="Document", required=True, readonly=True, ondelete="cascade")
    attempts = fields.Integer(readonly=True, default=0)

    _move_kind_unique = models.Constraint("UNIQUE(move_id, kind)", "A document waits once for each settlement.")

    # ------------------------------------------------------------
    # QUEUEING (the documents' hot paths)
    # ------------------------------------------------------------

    @api.model
    def _pr_queue(self, kind, moves):
        """Have the ledger settle ``moves`` after this transaction: noted in memory, written once before the commit."""
        if not moves:
            return
        queued = self.env.cr.precommit.data.setdefault(PRECOMMIT_KEY, {})
        if not queued:
            self.env.cr.precommit.add(self._pr_write_queue)
        queued.setdefault(kind, set()).update(moves.ids)

    @api.model
    def _pr_write_queue(self):
        """The documents noted in this transaction, in one statement that triggers the cron (see ``ir.cron``)."""
        queued = self.env.cr.precommit.data.pop(PRECOMMIT_KEY, {})
        rows = [(kind, move_id) for kind in sorted(queued) for move_id in sorted(queued[kind])]
        if not rows:
            return
        insert = bulk_insert_query(
            self.env,
            self._table,
            {"kind": ("varchar", [row[0] for row in rows]), "move_id": ("int", [row[1] for row in rows])},
            fields.Datetime.now(),
            constants={"attempts": 0},
            conflict=("move_id", "kind"),
            returning=("id",),
        )
        self.env["ir.cron"]._pr_insert_and_trigger(insert, CRON)

    # ------------------------------------------------------------
    # SETTLING (the cron)
    # ------------------------------------------------------------

    @api.model
    def _cron_settle(self, batch_size=200):
        cron = self.env["ir.cron"]
        while settled := self._pr_settle_queue(limit=batch_size):
            if not cron._commit_progress(settled):
                break

    @api.model
    def _pr_settle_queue(self, limit=None):
        """Settle the documents waiting (up to ``limit``), oldest first; returns how many were settled.

        Rows that another worker holds are skipped, and so are the documents of orders whose rule has
        not run yet or whose events are not processed yet: their points do not exist yet, and the next
        run settles them. A batch that fails is settled again document by document, so that one bad
        document keeps only itself waiting.
        """
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT q.id, q.kind, q.move_id FROM pr_ledger_queue q
                 WHERE q.attempts < %(max)s AND NOT EXISTS (
                        SELECT 1 FROM account_move m
                          JOIN account_move_line aml ON aml.move_id IN (m.id, m.reversed_entry_id)
                          JOIN sale_order_line_invoice_rel rel ON rel.invoice_line_id = aml.id
                          JOIN sale_order_line sol ON sol.id = rel.order_line_id
                          JOIN sale_order so ON so.id = sol.order_id
                         WHERE m.id = q.move_id
                           AND (so.pr_to_record IS NOT NULL OR EXISTS (
                                SELECT 1 FROM pr_event e
                                 WHERE e.state = 'pending' AND e.source_model = 'sale.order' AND e.source_id = so.id)))
                 ORDER BY q.id %(limit)s FOR UPDATE OF q SKIP LOCKED
                """,
                max=MAX_ATTEMPTS,
                limit=SQL("LIMIT %s", limit) if limit else SQL(),
            )
        )
        if not rows:
            return 0
        failed = failed_alone(
            self.env.cr, rows, self._pr_settle, _logger, "The ledger could not settle (row, kind, account.move) %s"
        )
        if failed:
            failed_ids = [row[0] for row in failed]
            self.env.cr.execute(
                SQL("UPDATE pr_ledger_queue SET attempts = attempts + 1 WHERE id = ANY(%s)", failed_ids)
            )
            rows = [row for row in rows if row[0] not in failed_ids]
        self.env.cr.execute(SQL("DELETE FROM pr_ledger_queue WHERE id = ANY(%s)", [row[0] for row in rows]))
        return len(rows) or 1

    @api.model
    def _pr_settle(self, rows):
        Move = self.env["account.move"].sudo()
        releases = Move.browse([move_id for _id, kind, move_id in rows if kind == "release"]).exists()
        refunds = Move.browse([move_id for _id, kind, move_id in rows if kind == "claw_back"]).exists()
        releases._pr_settle_release()
        refunds._pr_settle_claw_back()
        self.env.flush_all()
