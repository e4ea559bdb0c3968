"""Idempotency keys, unique per company, shared by the ledger and the behaviour events."""

from odoo.tools import SQL


def known_keys(cr, table, keys):
    """``{(company id, key): record id}`` for those of ``keys`` already recorded in ``table``.

    :param keys: iterable of ``(company id, key)``
    """
    keys = list(keys)
    if not keys:
        return {}
    companies, values = zip(*keys, strict=True)
    cr.execute(
        SQL(
            """
            SELECT t.company_id, t.idempotency_key, t.id FROM %s t
              JOIN unnest(%s::int[], %s::varchar[]) AS k(company_id, key)
                ON t.company_id = k.company_id AND t.idempotency_key = k.key
            """,
            SQL.identifier(table),
            list(companies),
            list(values),
        )
    )
    return {(row[0], row[1]): row[2] for row in cr.fetchall()}
