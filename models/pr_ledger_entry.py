from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from . import pr_demo_data
from .pr_posting_engine import KINDS, PostingBatch
from .pr_timezone import pr_local_date_sql

# Columns a posted entry keeps for ever; only ``state`` may move, from pending to available.
_GUARD_SQL = """
CREATE OR REPLACE FUNCTION pr_ledger_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- Loading a language may give a reason the words of that language (ir.module.module), its English never.
    translating boolean := COALESCE(current_setting('pr.ledger_translate', true), 'off') = 'on';
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'Reward ledger entry % is posted: it cannot be deleted, post a reversal instead.', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    -- Merging two contacts (pr.member._pr_merge_partners) may say whose an entry is, nothing else.
    IF (NEW.member_id, NEW.partner_id, NEW.contact_id) IS DISTINCT FROM (OLD.member_id, OLD.partner_id, OLD.contact_id)
       AND COALESCE(current_setting('pr.ledger_merge', true), 'off') <> 'on'
    THEN
        RAISE EXCEPTION 'Reward ledger entry % is posted: it cannot be modified, post a reversal instead.', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.company_id, NEW.date, NEW.kind, NEW.points,
        NEW.idempotency_key, NEW.reversed_entry_id, NEW.expiry_date, NEW.release_date, NEW.tier_id,
        NEW.source_model, NEW.source_id, CASE WHEN translating THEN NEW.reason -> 'en_US' ELSE NEW.reason END,
        NEW.create_uid, NEW.create_date)
       IS DISTINCT FROM
       (OLD.company_id, OLD.date, OLD.kind, OLD.points,
        OLD.idempotency_key, OLD.reversed_entry_id, OLD.expiry_date, OLD.release_date, OLD.tier_id,
        OLD.source_model, OLD.source_id, CASE WHEN translating THEN OLD.reason -> 'en_US' ELSE OLD.reason END,
        OLD.create_uid, OLD.create_date)
       OR (NEW.state IS DISTINCT FROM OLD.state AND NOT (OLD.state = 'pending' AND NEW.state = 'available'))
    THEN
        RAISE EXCEPTION 'Reward ledger entry % is posted: it cannot be modified, post a reversal instead.', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS pr_ledger_entry_guard ON pr_ledger_entry;
CREATE TRIGGER pr_ledger_entry_guard BEFORE UPDATE OR DELETE ON pr_ledger_entry
    FOR EACH ROW EXECUTE FUNCTION pr_ledger_entry_guard();
"""


class PrLedgerEntry(models.Model):
    """One movement of points: the append-only reward ledger.

    Entries are posted only through :meth:`_post_movements` (``create`` delegates to it), which
    validates a whole batch, locks the members concerned, inserts the rows and moves the balances
    in a constant number of queries. Posted entries never change: the ORM refuses, and a database
    trigger refuses even raw SQL. The only transition is the release of pending points.
    """

    _name = "pr.ledger.entry"
    _inherit = ["pr.source.mixin"]
    _description = "Reward Ledger Entry"
    _order = "date desc, id desc"
    _check_company_auto = True

    member_id = fields.Many2one("pr.member", required=True, readonly=True, index=True, ondelete="restrict")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        help="The customer who holds the points.",
    )
    contact_id = fields.Many2one(
        "res.partner",
        readonly=True,
        ondelete="restrict",
        help="The contact whose action the entry records.",
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="restrict")
    date = fields.Datetime(required=True, readonly=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    points = fields.Integer(required=True, readonly=True, aggregator="sum")
    state = fields.Selection([("pending", "Pending"), ("available", "Available")], required=True, readonly=True)
    release_date = fields.Date(readonly=True, help="Pending points become available on this date.")
    expiry_date = fields.Date(readonly=True, index="btree_not_null")
    tier_id = fields.Many2one(
        "pr.tier",
        readonly=True,
        ondelete="restrict",
        help="The customer's tier when the entry was posted.",
    )
    reason = fields.Char(
        readonly=True,
        translate=True,
        help="Why the points moved, written in every installed language when posted (see README, Languages).",
    )
    reversed_entry_id = fields.Many2one(
        "pr.ledger.entry", string="Reverses", readonly=True, index="btree_not_null", ondelete="restrict"
    )
    reversal_entry_ids = fields.One2many("pr.ledger.entry", "reversed_entry_id", string="Reversals")
    reversible_points = fields.Integer(
        compute="_compute_reversible_points", help="Points of this entry not reversed yet."
    )
    idempotency_key = fields.Char(required=True, readonly=True, copy=False)

    _idempotency_key_uniq = models.UniqueIndex(
        "(company_id, idempotency_key)", "This idempotency key was already used in this company."
    )
    _points_not_zero = models.Constraint("CHECK(points <> 0)", "A ledger entry cannot move zero points.")
    _member_date_idx = models.Index("(member_id, date)")
    _pending_idx = models.Index("(release_date) WHERE state = 'pending'")

    def init(self):
        self.env.cr.execute(_GUARD_SQL)

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("points", "reversal_entry_ids.points")
    def _compute_reversible_points(self):
        for entry in self:
            if entry.kind == "reversal":
                entry.reversible_points = 0
            else:
                entry.reversible_points = entry.points + sum(entry.reversal_entry_ids.mapped("points"))

    @api.depends("kind", "points")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for entry in self:
            entry.display_name = f"{kinds.get(entry.kind, '')} {entry.points:+d}"

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):  # pylint: disable=method-required-super
        return self._post_movements(vals_list)

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(self.env._("Posted ledger entries cannot be modified. Post a reversal instead."))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_posted(self):
        raise UserError(self.env._("Posted ledger entries cannot be deleted. Post a reversal instead."))

    def copy(self, default=None):  # pylint: disable=method-required-super
        raise UserError(self.env._("Ledger entries cannot be duplicated."))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_reverse(self):
        self.ensure_one()
        self.env["pr.ledger.adjust"].check_access("create")
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reverse Entry"),
            "res_model": "pr.ledger.adjust",
            "view_mode": "form",
            "target": "new",
            "context": {"default_reversed_entry_id": self.id},
        }

    # ------------------------------------------------------------
    # POSTING SERVICE
    # ------------------------------------------------------------

    @api.model
    def _post_movements(self, movements):
        """Post a batch of point movements, for many customers, all or nothing.

        Each movement is a dict with ``points`` (signed: credits positive, debits negative), ``kind``
        and either ``partner_id`` (mapped to its points holder, see the company's wallet mode),
        ``member_id`` or, for a reversal, ``reversed_entry_id``. Optional keys: ``idempotency_key``
        (generated when absent), ``date``, ``company_id``, ``reason``, ``source_model``/``source_id``,
        ``release_date``, ``pending`` (keep pending until released explicitly), ``expiry_date``.
        ``reason`` is written in every installed language: give ``_lt("...", **params)`` of
        ``models/pr_i18n.py`` or ``{lang: text}`` (see ``field_translations``); plain text reads the
        same in every language.

        A movement whose idempotency key was already posted returns the existing entry instead.
        Invalid input raises one translated ``UserError`` listing every problem, and writes nothing.

        :return: the entries, in the order of ``movements``
        """
        self.check_access("create")
        if not movements:
            return self.browse()
        self.env.flush_all()
        now = fields.Datetime.now()
        batch = PostingBatch(self, [dict(movement) for movement in movements], now)
        batch.resolve()
        if batch.single:
            batch.post()
        elif batch.todo:
            # All or nothing, also for a caller that catches the error and goes on.
            with self.env.cr.savepoint(flush=False):
                batch.post()
        return self.browse(batch.result_ids())

    def _invalidate_balances(self):
        """Forget what the ORM cached of what the SQL of the ledger just changed."""
        self.invalidate_model()
        self.env["pr.member"].invalidate_model()
        self.env["res.partner"].invalidate_model(self.env["res.partner"]._pr_balance_fields())

    @api.model
    def _release_pending(self, entries=None, limit=None):
        """Make pending points available: those whose release date has come, or ``entries``.

        Reversals of a pending entry are released with it, so a partly clawed-back earning is
        released net. Returns the number of entries released.
        """
        # What the statements below read (not the documents of the transaction, flushed at its end).
        for model in ("pr.ledger.entry", "pr.member", "pr.tier", "res.company"):
            self.env[model].flush_model()
        self.env["res.partner"].flush_model(["tz"])
        cr = self.env.cr
        now = fields.Datetime.now()
        if entries is not None:
            where = SQL(
                "e.state = 'pending' AND (e.id = ANY(%(ids)s) OR e.reversed_entry_id = ANY(%(ids)s))", ids=entries.ids
            )
        else:
            # The release date is the company's day: it has come when it is today or before in its time zone
            # (the first condition, true on any day in any time zone, lets the index find the candidates).
            where = SQL(
                "e.state = 'pending' AND e.release_date <= %s AND e.release_date <= %s",
                now.date() + timedelta(days=1),
                pr_local_date_sql(SQL("%s::timestamp", now), SQL("tz.tz")),
            )
        cr.execute(
            SQL(
                "SELECT e.id, e.member_id FROM pr_ledger_entry e JOIN %s tz ON tz.company_id = e.company_id"
                " WHERE %s ORDER BY e.id %s",
                self.env["res.company"]._pr_tz_table(),
                where,
                SQL("LIMIT %s", limit) if limit else SQL(),
            )
        )
        rows = cr.fetchall()
        if not rows:
            return 0
        entry_ids = [row[0] for row in rows]
        member_ids = sorted({row[1] for row in rows})
        cr.execute(SQL("SELECT id FROM pr_member WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE", member_ids))
        cr.execute(
            SQL(
                """
            WITH released AS (
                UPDATE pr_ledger_entry SET state = 'available', write_uid = %(uid)s, write_date = %(now)s
                 WHERE id = ANY(%(ids)s) AND state = 'pending'
             RETURNING member_id, points, kind, reversed_entry_id
            )
            SELECT r.member_id, SUM(r.points),
                   COALESCE(SUM(r.points) FILTER (WHERE r.kind = 'earn' OR t.kind = 'earn'), 0)
              FROM released r LEFT JOIN pr_ledger_entry t ON t.id = r.reversed_entry_id
             GROUP BY r.member_id
            """,
                uid=self.env.uid,
                now=now,
                ids=entry_ids,
            )
        )
        deltas = {member_id: (points, -points, earned) for member_id, points, earned in cr.fetchall()}
        self._invalidate_balances()
        self.env["pr.member"].browse(member_ids)._pr_refresh(upgrade_only=True, deltas=deltas)
        return len(entry_ids)

    # ------------------------------------------------------------
    # CRONS
    # ------------------------------------------------------------

    @api.model
    def _cron_release_pending(self, batch_size=1000):
        cron = self.env["ir.cron"]
        while released := self._release_pending(limit=batch_size):
            if not cron._commit_progress(released):
                break

    @api.model
    def _cron_expire_points(self, batch_size=1000):
        self.env["pr.member"]._pr_cron_batches("_pr_expire_points", batch_size)

    @api.model
    def _demo_post_history(self, partner_ids, months=18, seed=19):
        """Post a deterministic, realistic 18-month history for the demo customers."""
        return pr_demo_data.post_history(self, partner_ids, months=months, seed=seed)
