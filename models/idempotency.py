"""Idempotency keys, unique per company, shared by the ledger and the behaviour events; bulk inserts."""

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


def bulk_insert(env, table, columns, now, *, constants=None, conflict=(), returning=()):
    """Insert many rows into ``table`` with one ``INSERT … SELECT … FROM unnest(…)``, as ``env.uid`` at ``now``.

    Fetch what ``returning`` names from ``env.cr`` afterwards. The arguments are those of ``bulk_insert_query``.
    """
    env.cr.execute(
        bulk_insert_query(env, table, columns, now, constants=constants, conflict=conflict, returning=returning)
    )


def bulk_insert_query(env, table, columns, now, *, constants=None, conflict=(), returning=()):
    """The ``INSERT … SELECT … FROM unnest(…)`` of many rows into ``table``, as ``env.uid`` at ``now``.

    :param columns: ``{column: (SQL type, [value of each row])}``, all lists of the same length
    :param constants: ``{column: value}`` the same for every row
    :param conflict: the columns of a unique constraint: rows that would break it are skipped
    :param returning: the columns of the inserted rows to return
    """
    constants = {**(constants or {}), "create_uid": env.uid, "create_date": now, "write_uid": env.uid}
    constants["write_date"] = now
    query = SQL(
        "INSERT INTO %s (%s) SELECT d.*, %s FROM unnest(%s) AS d",
        SQL.identifier(table),
        SQL(", ").join(SQL.identifier(column) for column in [*columns, *constants]),
        SQL(", ").join(SQL("%s", value) for value in constants.values()),
        SQL(", ").join(SQL("%s::%s[]", values, SQL(sql_type)) for sql_type, values in columns.values()),
    )
    if conflict:
        query = SQL("%s ON CONFLICT (%s) DO NOTHING", query, SQL(", ").join(map(SQL.identifier, conflict)))
    if returning:
        query = SQL("%s RETURNING %s", query, SQL(", ").join(map(SQL.identifier, returning)))
    return query
