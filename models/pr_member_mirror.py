import logging

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

MAX_DRIFT_SHOWN = 20


class PrMember(models.Model):
    """The cards of the points program follow the members' available points, from the ledger only.

    Every movement of the ledger moves the member's balance (``_pr_refresh``) and, in the same SQL
    statement, the holder's card of the company's points program (no tracking message). A card written by anything else (a person, an Odoo flow) is corrected at once, and the
    nightly check reports and repairs any drift that could still appear (see README, Points at checkout).
    """

    _inherit = "pr.member"  # pylint: disable=consider-merging-classes-inherited

    def _pr_write_balances(self, update, deltas):
        moved = [member_id for member_id, delta in (deltas or {}).items() if delta[0]]
        if not moved or not self.env["res.company"]._pr_checkout_company_ids():
            return super()._pr_write_balances(update, deltas)
        # The balances and the cards they move in one statement.
        members = SQL("(%s RETURNING m.id, m.partner_id, m.company_id, m.points_available)", update)
        self._pr_correct_cards(members, SQL("m.id = ANY(%s)", moved))
        return None

    @api.model
    def _pr_sync_cards(self, member_ids=None, card_ids=None):
        """Write the ledger's available points on the cards of the points program; create missing cards.

        ``member_ids``: the cards of these members; ``card_ids``: these cards; neither: every card (the
        nightly check). Cards whose holder is no member hold 0 points.

        :return: list of ``(card_id, points before, points after)`` of the cards corrected
        """
        if member_ids is not None and not member_ids or card_ids is not None and not card_ids:
            return []
        if member_ids is not None:
            where = SQL("m.id = ANY(%s)", list(member_ids))
        elif card_ids is not None:
            where = SQL("c.id = ANY(%s)", list(card_ids))
        else:
            where = SQL("TRUE")
        members = SQL("NOT MATERIALIZED (SELECT id, partner_id, company_id, points_available FROM pr_member)")
        return self._pr_correct_cards(members, where, missing=card_ids is None)

    @api.model
    def _pr_correct_cards(self, members, where, missing=True):
        """Correct the cards of the points program from ``members``: the members, or the balances an UPDATE returns.

        :param where: which cards, on ``c`` (the card) and ``m`` (its holder's member, if any)
        :param missing: also create the cards missing for the members ``where`` selects
        :return: list of ``(card_id, points before, points after)`` of the cards corrected
        """
        self.env.cr.execute(
            SQL(
                """
            WITH m AS %(members)s, x AS (
                SELECT c.id, c.points AS before, COALESCE(m.points_available, 0) AS expected
                  FROM loyalty_card c
                  JOIN loyalty_program p ON p.id = c.program_id AND p.pr_is_mirror AND p.active
                  LEFT JOIN m ON m.partner_id = c.partner_id AND m.company_id = p.company_id
                 WHERE %(where)s
            ), upd AS (
                UPDATE loyalty_card c SET points = x.expected, write_uid = %(uid)s, write_date = %(now)s
                  FROM x WHERE c.id = x.id AND c.points IS DISTINCT FROM x.expected::float
             RETURNING c.id, x.before, x.expected
            )
            SELECT 'corrected', id, before, expected, NULL, NULL FROM upd
            UNION ALL
            SELECT 'missing', m.id, NULL, m.points_available, m.partner_id, co.pr_checkout_program_id
              FROM m
              JOIN res_company co ON co.id = m.company_id AND co.pr_checkout_enabled
              JOIN loyalty_program p ON p.id = co.pr_checkout_program_id AND p.active
             WHERE %(missing)s AND m.points_available > 0
               AND NOT EXISTS (SELECT 1 FROM loyalty_card c
                                WHERE c.program_id = co.pr_checkout_program_id AND c.partner_id = m.partner_id)
            """,
                members=members,
                where=where,
                missing=where if missing else SQL("FALSE"),
                uid=self.env.uid,
                now=fields.Datetime.now(),
            )
        )
        rows = self.env.cr.fetchall()
        corrected = [(row[1], row[2], row[3]) for row in rows if row[0] == "corrected"]
        if corrected:
            self.env["loyalty.card"].browse([row[0] for row in corrected]).invalidate_recordset(
                ["points", "write_date", "write_uid"]
            )
        missing = [row for row in rows if row[0] == "missing"]
        if missing:
            self.env["loyalty.card"].sudo().with_context(
                pr_mirror_sync=True, tracking_disable=True, loyalty_no_mail=True, action_no_send_mail=True
            ).create([{"program_id": row[5], "partner_id": row[4], "points": row[3]} for row in missing])
        return corrected

    @api.model
    def _pr_mirror_card(self, holder, company):
        """The card of ``holder`` in the points program of ``company``, created when missing; empty if none."""
        program = company.sudo().pr_checkout_program_id
        if not company.pr_checkout_enabled or not program.active or not holder:
            return self.env["loyalty.card"]
        Card = self.env["loyalty.card"].sudo()
        card = Card.search([("program_id", "=", program.id), ("partner_id", "=", holder.id)], order="id", limit=1)
        if not card:
            member = self.sudo().search([("partner_id", "=", holder.id), ("company_id", "=", company.id)])
            card = Card.with_context(
                pr_mirror_sync=True, tracking_disable=True, loyalty_no_mail=True, action_no_send_mail=True
            ).create({"program_id": program.id, "partner_id": holder.id, "points": member.points_available})
        return card

    @api.model
    def _cron_pr_checkout_mirror(self):
        """Nightly: report and repair the cards of the points programs that differ from the ledger."""
        self.env.flush_all()
        corrected = self._pr_sync_cards()
        if corrected:
            shown = ", ".join(
                f"card {card_id}: {before:g} -> {after}" for card_id, before, after in corrected[:MAX_DRIFT_SHOWN]
            )
            message = f"{len(corrected)} points card(s) differed from the reward ledger and were corrected: {shown}"
            _logger.info(message)
            self.env["ir.logging"].sudo().create(
                {
                    "name": "positive_reinforcement.points_mirror",
                    "type": "server",
                    "dbname": self.env.cr.dbname,
                    "level": "WARNING",
                    "message": message,
                    "path": __name__,
                    "func": "_cron_pr_checkout_mirror",
                    "line": "0",
                }
            )
        return corrected
