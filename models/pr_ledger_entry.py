import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .idempotency import known_keys
from .pr_i18n import _lt, installed_langs, translations_json
from .pr_member import EXPIRING_SOON_DAYS
from .pr_timezone import pr_local_date, pr_local_date_sql

KINDS = [
    ("earn", "Earned"),
    ("redeem", "Redeemed"),
    ("expire", "Expired"),
    ("adjust", "Adjustment"),
    ("reversal", "Reversal"),
]
KIND_CODES = {code for code, _label in KINDS}
DEBIT_KINDS = ("redeem", "expire")
MAX_ERRORS_SHOWN = 10

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
        batch = _Batch(self, [dict(movement) for movement in movements], now)
        batch.resolve()
        if batch.todo:
            # All or nothing, also for a caller that catches the error and goes on.
            with self.env.cr.savepoint(flush=False):
                batch.lock_members()
                batch.check_balances()
                batch.insert()
                self._invalidate_balances()
                members = self.env["pr.member"].browse(batch.member_ids())
                members._pr_refresh(upgrade_only=True, deltas=batch.deltas(), known_stats=batch.known_stats())
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
        self.env.flush_all()
        cr = self.env.cr
        now = fields.Datetime.now()
        if entries is not None:
            entries = entries | entries.reversal_entry_ids
            where = SQL("e.state = 'pending' AND e.id = ANY(%s)", entries.ids)
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


class _Batch:
    """The working state of one call to ``_post_movements``: resolution, checks, SQL writes."""

    def __init__(self, model, movements, now):
        self.model = model
        self.env = model.env
        self.cr = model.env.cr
        self.movements = movements
        self.now = now
        self.latest = now + timedelta(minutes=5)  # clocks differ a little between servers
        self.errors = []
        self.todo = []  # movements to insert
        self.existing = {}  # (company_id, key) -> entry id already posted
        self.members = {}  # (partner_id, company_id) -> member row dict
        self.inserted = {}  # (company_id, key) -> new entry id

    def _(self, *args, **kwargs):
        return self.env._(*args, **kwargs)

    # --- resolution ---------------------------------------------------------

    def resolve(self):
        self._resolve_targets()
        self._resolve_partners()
        for index, movement in enumerate(self.movements):
            self._check_movement(index + 1, movement)
        self._raise_errors()
        self._resolve_idempotency()

    def _resolve_targets(self):
        """Reversals take customer, company and state from the entry they reverse."""
        target_ids = [m["reversed_entry_id"] for m in self.movements if m.get("reversed_entry_id")]
        self.targets = {}
        if not target_ids:
            return
        self.cr.execute(
            SQL(
                """
            SELECT e.id, e.member_id, e.partner_id, e.company_id, e.kind, e.points, e.state, e.release_date,
                   e.date, e.expiry_date,
                   e.points + COALESCE((SELECT SUM(r.points) FROM pr_ledger_entry r
                                         WHERE r.reversed_entry_id = e.id), 0) AS reversible
              FROM pr_ledger_entry e WHERE e.id = ANY(%s)
            """,
                target_ids,
            )
        )
        self.targets = {row["id"]: row for row in self.cr.dictfetchall()}
        for movement in self.movements:
            target = self.targets.get(movement.get("reversed_entry_id"))
            if target:
                movement.update(
                    kind="reversal",
                    member_id=target["member_id"],
                    partner_id=target["partner_id"],
                    company_id=target["company_id"],
                )

    def _resolve_partners(self):
        member_ids = [m["member_id"] for m in self.movements if m.get("member_id")]
        self.member_partner = {}
        if member_ids:
            self.cr.execute(SQL("SELECT id, partner_id, company_id FROM pr_member WHERE id = ANY(%s)", member_ids))
            self.member_partner = {row[0]: (row[1], row[2]) for row in self.cr.fetchall()}
            for movement in self.movements:
                if movement.get("member_id") in self.member_partner:
                    movement["partner_id"], movement["company_id"] = self.member_partner[movement["member_id"]]
        partner_ids = [m["partner_id"] for m in self.movements if isinstance(m.get("partner_id"), int)]
        self.cr.execute(
            SQL("SELECT id, active, commercial_partner_id, company_id FROM res_partner WHERE id = ANY(%s)", partner_ids)
        )
        self.partners = {row[0]: row for row in self.cr.fetchall()}
        company_ids = {m.get("company_id") or self.env.company.id for m in self.movements}
        allowed = set(self.env.companies.ids)
        self.companies = {}
        for company in self.env["res.company"].sudo().browse(company_ids).exists():
            if self.env.su or company.id in allowed:
                # Days are the company's, in its time zone: release, expiry, the tier window and "today".
                tz = company._pr_tz()
                today = pr_local_date(self.now, tz)
                self.companies[company.id] = {
                    "wallet_mode": company.pr_wallet_mode,
                    "pending_days": company.pr_pending_days,
                    "validity_months": company.pr_points_validity_months,
                    "tz": tz,
                    "today": today,
                    "window_start": today - relativedelta(months=company.pr_tier_window_months),
                }

    def _check_movement(self, line, movement):
        movement.setdefault("company_id", self.env.company.id)
        company = self.companies.get(movement["company_id"])
        partner = self.partners.get(movement.get("partner_id"))
        points = movement.get("points")
        kind = movement.get("kind")
        if company is None:
            self.errors.append(self._("Line %(line)s: the company is unknown or not allowed.", line=line))
            return
        if movement.get("reversed_entry_id") and movement["reversed_entry_id"] not in self.targets:
            self.errors.append(self._("Line %(line)s: the entry to reverse does not exist.", line=line))
            return
        if movement.get("member_id") and movement["member_id"] not in self.member_partner:
            self.errors.append(self._("Line %(line)s: the loyalty member does not exist.", line=line))
            return
        if not partner or not partner[1]:
            self.errors.append(self._("Line %(line)s: the customer is unknown or archived.", line=line))
            return
        if partner[3] and partner[3] != movement["company_id"]:
            self.errors.append(self._("Line %(line)s: the customer belongs to another company.", line=line))
            return
        if not isinstance(points, int) or isinstance(points, bool) or not points:
            self.errors.append(self._("Line %(line)s: the points must be a whole number other than zero.", line=line))
            return
        if kind not in KIND_CODES:
            self.errors.append(self._("Line %(line)s: unknown kind of movement.", line=line))
            return
        if kind == "reversal":
            self._check_reversal(line, movement)
        elif kind == "earn" and points < 0 or kind in DEBIT_KINDS and points > 0:
            self.errors.append(
                self._("Line %(line)s: earned points must be positive, redeemed or expired points negative.", line=line)
            )
        date = movement.get("date") or self.now
        if not isinstance(date, datetime):
            date = fields.Datetime.to_datetime(date)
        if date > self.latest:
            self.errors.append(self._("Line %(line)s: a movement cannot be dated in the future.", line=line))
        movement["date"] = date
        if not movement.get("member_id") and company["wallet_mode"] == "commercial":
            movement["contact_id"] = movement["partner_id"]
            movement["partner_id"] = partner[2]
        elif not movement.get("member_id"):
            movement["contact_id"] = movement["partner_id"]
        if not movement.get("idempotency_key"):
            movement["idempotency_key"] = f"{kind}:{uuid.uuid4().hex}"
        self._set_state_and_dates(movement, company)

    def _check_reversal(self, line, movement):
        target = self.targets.get(movement.get("reversed_entry_id"))
        if not target:
            self.errors.append(self._("Line %(line)s: a reversal needs the entry it reverses.", line=line))
        elif target["kind"] == "reversal":
            self.errors.append(self._("Line %(line)s: a reversal cannot be reversed.", line=line))
        elif (movement["points"] > 0) == (target["points"] > 0):
            self.errors.append(self._("Line %(line)s: a reversal moves points in the opposite direction.", line=line))
        else:
            target["reversible"] += movement["points"]
            if (target["reversible"] > 0) != (target["points"] > 0) and target["reversible"]:
                self.errors.append(
                    self._(
                        "Line %(line)s: the reversal exceeds what remains of the entry (%(left)s points).",
                        line=line,
                        left=target["reversible"] - movement["points"],
                    )
                )

    def _set_state_and_dates(self, movement, company):
        kind, points, date = movement["kind"], movement["points"], movement["date"]
        day = pr_local_date(date, company["tz"])
        if kind == "reversal":
            target = self.targets[movement["reversed_entry_id"]]
            movement["state"] = target["state"]
            movement["release_date"] = target["release_date"]
            movement["expiry_date"] = None
            return
        release = movement.get("release_date")
        if kind == "earn" and not release and company["pending_days"]:
            release = day + timedelta(days=company["pending_days"])
        movement["release_date"] = release or None
        pending = points > 0 and (movement.get("pending") or (release and release > company["today"]))
        movement["state"] = "pending" if pending else "available"
        if points > 0 and not movement.get("expiry_date") and company["validity_months"]:
            movement["expiry_date"] = day + relativedelta(months=company["validity_months"])
        movement["expiry_date"] = movement.get("expiry_date") if points > 0 else None

    def _raise_errors(self):
        if self.errors:
            shown = self.errors[:MAX_ERRORS_SHOWN]
            if len(self.errors) > MAX_ERRORS_SHOWN:
                shown.append(self._("… and %(count)s more.", count=len(self.errors) - MAX_ERRORS_SHOWN))
            raise UserError(self._("Nothing was posted:\n%(errors)s", errors="\n".join(shown)))

    def _resolve_idempotency(self):
        keys = {(m["company_id"], m["idempotency_key"]) for m in self.movements}
        self.existing = known_keys(self.cr, "pr_ledger_entry", keys)
        seen = set()
        for movement in self.movements:
            key = (movement["company_id"], movement["idempotency_key"])
            if key not in self.existing and key not in seen:
                seen.add(key)
                self.todo.append(movement)

    # --- writes ---------------------------------------------------------------

    def lock_members(self):
        """Lock the members concerned, in id order (no deadlock), creating those that do not exist yet."""
        pairs = sorted({(m["partner_id"], m["company_id"]) for m in self.todo})
        partners, companies = [list(column) for column in zip(*pairs, strict=True)]
        self.cr.execute(
            SQL(
                """
            SELECT m.id, m.partner_id, m.company_id, m.points_available, m.tier_id, m.review_date,
                   m.points_window, m.stats_due_soon, m.stats_spent, m.stats_date FROM pr_member m
              JOIN unnest(%s::int[], %s::int[]) AS k(p, c) ON m.partner_id = k.p AND m.company_id = k.c
             ORDER BY m.id FOR NO KEY UPDATE OF m
            """,
                partners,
                companies,
            )
        )
        self.members = {(row["partner_id"], row["company_id"]): row for row in self.cr.dictfetchall()}
        missing = [pair for pair in pairs if pair not in self.members]
        if missing:
            # A member created at the same time by another transaction makes this one fail to serialize,
            # and the caller retries: it then finds the member above.
            self.cr.execute(
                SQL(
                    """
                INSERT INTO pr_member (partner_id, company_id, points_available, points_pending, points_lifetime,
                                       points_expiring, points_window, create_uid, create_date, write_uid,
                                       write_date)
                SELECT k.p, k.c, 0, 0, 0, 0, 0, %s, %s, %s, %s FROM unnest(%s::int[], %s::int[]) AS k(p, c)
                ON CONFLICT (partner_id, company_id) DO NOTHING
                RETURNING id, partner_id, company_id, points_available, tier_id, review_date, points_window,
                          stats_due_soon, stats_spent
                """,
                    self.env.uid,
                    self.now,
                    self.env.uid,
                    self.now,
                    [p for p, _c in missing],
                    [c for _p, c in missing],
                )
            )
            for row in self.cr.dictfetchall():
                # A new member has no history: its stats are known, all zero, today.
                row["stats_date"] = self.companies[row["company_id"]]["today"]
                self.members[(row["partner_id"], row["company_id"])] = row
            if len(self.members) != len(pairs):
                raise UserError(self._("These points were posted by another user at the same time. Please retry."))

    def check_balances(self):
        """Refuse the whole batch if it would spend more than a member has available."""
        delta = defaultdict(int)
        spends = set()
        for movement in self.todo:
            member = self.members[(movement["partner_id"], movement["company_id"])]
            movement["member_id"] = member["id"]
            movement["tier_id"] = member["tier_id"]
            if movement["state"] == "available":
                delta[member["id"]] += movement["points"]
            if movement["points"] < 0 and movement["kind"] != "reversal":
                spends.add(member["id"])
        short = [
            member
            for member in self.members.values()
            if member["id"] in spends and member["points_available"] + delta[member["id"]] < 0
        ]
        if short:
            names = dict(
                self.env["res.partner"]
                .browse([m["partner_id"] for m in short])
                .sudo()
                .mapped(lambda p: (p.id, p.display_name))
            )
            self.errors = [
                self._(
                    "%(customer)s has %(available)s points available, %(missing)s short.",
                    customer=names[m["partner_id"]],
                    available=m["points_available"],
                    missing=-(m["points_available"] + delta[m["id"]]),
                )
                for m in short
            ]
            self._raise_errors()

    def insert(self):
        columns = {
            "member_id": "int",
            "partner_id": "int",
            "contact_id": "int",
            "company_id": "int",
            "date": "timestamp",
            "kind": "varchar",
            "points": "int",
            "state": "varchar",
            "release_date": "date",
            "expiry_date": "date",
            "tier_id": "int",
            "source_model": "varchar",
            "source_id": "int",
            "reason": "jsonb",
            "reversed_entry_id": "int",
            "idempotency_key": "varchar",
        }
        arrays = [
            translations_json([m.get("reason") for m in self.todo], installed_langs(self.env))
            if column == "reason"
            else [movement.get(column) or None for movement in self.todo]
            for column in columns
        ]
        self.cr.execute(
            SQL(
                """
            INSERT INTO pr_ledger_entry (%s, create_uid, create_date, write_uid, write_date)
            SELECT *, %s, %s, %s, %s FROM unnest(%s)
            ON CONFLICT (company_id, idempotency_key) DO NOTHING
            RETURNING company_id, idempotency_key, id
            """,
                SQL(", ").join(SQL.identifier(column) for column in columns),
                self.env.uid,
                self.now,
                self.env.uid,
                self.now,
                SQL(", ").join(
                    SQL("%s::%s[]", values, SQL(sql_type))
                    for values, sql_type in zip(arrays, columns.values(), strict=True)
                ),
            )
        )
        self.inserted = {(row[0], row[1]): row[2] for row in self.cr.fetchall()}
        if len(self.inserted) != len(self.todo):
            # Another transaction posted one of these keys since ours started: let the caller retry.
            raise UserError(self._("These points were posted by another user at the same time. Please retry."))

    def deltas(self):
        """``{member_id: (available, pending, earned)}``: how this batch moves each member's balances."""
        delta = defaultdict(lambda: [0, 0, 0])
        for movement in self.todo:
            bucket = delta[movement["member_id"]]
            available = movement["state"] == "available"
            bucket[0 if available else 1] += movement["points"]
            target = self.targets.get(movement.get("reversed_entry_id"))
            if available and (movement["kind"] == "earn" or (target and target["kind"] == "earn")):
                bucket[2] += movement["points"]
        return {member_id: tuple(bucket) for member_id, bucket in delta.items()}

    def known_stats(self):
        """The stats of the batch's members without reading their ledger, where today's are stored.

        A member locked above carries its window points, and the two sums soon-expiring points come
        from (positive lots expiring within the horizon, and debits), as read from its ledger
        earlier today, or zero for a new member. This batch's movements move them as the full
        read in ``pr.member._pr_read_stats`` would count them. Members whose stored stats are from
        another day are left out: their ledger is read.
        """
        moved = {}
        for member in self.members.values():
            today = self.companies[member["company_id"]]["today"]
            if member["stats_date"] == today:
                moved[member["id"]] = {
                    "today": today,
                    "company_id": member["company_id"],
                    "partner_id": member["partner_id"],
                    "tier_id": member["tier_id"],
                    "review_date": member["review_date"],
                    "window": member["points_window"] or 0,
                    "due_soon": member["stats_due_soon"] or 0,
                    "spent": member["stats_spent"] or 0,
                }
        for movement in self.todo:
            stats = moved.get(movement["member_id"])
            if stats is None or movement["state"] != "available":
                continue  # pending points count nowhere until they are released (and read again)
            lot = self.targets.get(movement.get("reversed_entry_id")) or movement
            points = movement["points"]
            if lot["points"] < 0:
                stats["spent"] -= points  # a debit, or the reversal of one
                continue
            company = self.companies[movement["company_id"]]
            if lot["kind"] == "earn" and pr_local_date(lot["date"], company["tz"]) >= company["window_start"]:
                stats["window"] += points
            if lot["expiry_date"] and lot["expiry_date"] <= stats["today"] + timedelta(days=EXPIRING_SOON_DAYS):
                stats["due_soon"] += points
        for stats in moved.values():
            stats["expiring"] = max(0, stats["due_soon"] - stats["spent"])
        return moved

    # --- results --------------------------------------------------------------

    def member_ids(self):
        return sorted({m["member_id"] for m in self.todo})

    def result_ids(self):
        found = {**self.existing, **self.inserted}
        return [found[(m["company_id"], m["idempotency_key"])] for m in self.movements]


class PrLedgerEntryDemo(models.Model):
    _inherit = "pr.ledger.entry"

    @api.model
    def _demo_post_history(self, partner_ids, months=18, seed=19):
        """Post a deterministic, realistic 18-month history for the demo customers.

        Each customer has a purchase rhythm; purchases earn points, some are partly returned (a
        reversal), points are redeemed now and then, a manager grants a goodwill adjustment, the
        latest purchases are still pending, and what is older than the validity expires.
        """
        rng = random.Random(seed)
        now = fields.Datetime.now()
        partners = self.env["res.partner"].browse(partner_ids)
        rhythm = {partner: rng.uniform(0.35, 0.95) for partner in partners}
        for month in range(months, 0, -1):
            day = now - relativedelta(months=month, days=rng.randint(0, 20))
            entries = self._post_movements(
                [
                    {
                        "partner_id": partner.id,
                        "kind": "earn",
                        "points": rng.randrange(40, 520, 10),
                        "date": day,
                        "reason": _lt("Purchase"),
                        "idempotency_key": f"demo:earn:{partner.id}:{month}",
                    }
                    for partner in partners
                    if rng.random() < rhythm[partner]
                ]
            )
            self._post_movements(
                [
                    {
                        "reversed_entry_id": entry.id,
                        "points": -(entry.points // 2),
                        "date": day + timedelta(days=9),
                        "reason": _lt("Partial return"),
                        "idempotency_key": f"demo:return:{entry.id}",
                    }
                    for entry in entries
                    if rng.random() < 0.08
                ]
            )
            members = self.env["pr.member"].search([("partner_id", "in", partners.commercial_partner_id.ids)])
            self._post_movements(
                [
                    {
                        "member_id": member.id,
                        "kind": "redeem",
                        "points": -(member.points_available // 200 * 100),
                        "date": day + timedelta(days=12),
                        "reason": _lt("Discount coupon"),
                        "idempotency_key": f"demo:redeem:{member.id}:{month}",
                    }
                    for member in members
                    if member.points_available >= 400 and rng.random() < 0.3
                ]
            )
        self._post_movements(
            [
                {
                    "partner_id": partners[0].id,
                    "kind": "adjust",
                    "points": 150,
                    "reason": _lt("Goodwill gesture after a late delivery"),
                    "idempotency_key": "demo:goodwill",
                },
                *[
                    {
                        "partner_id": partner.id,
                        "kind": "earn",
                        "points": rng.randrange(60, 300, 10),
                        "release_date": self.env.company._pr_today() + timedelta(days=14),
                        "reason": _lt("Purchase"),
                        "idempotency_key": f"demo:recent:{partner.id}",
                    }
                    for partner in partners[:4]
                ],
            ]
        )
        self.env["pr.member"].search([("partner_id", "in", partners.commercial_partner_id.ids)])._pr_expire_points()
