from odoo.tools import SQL


def uninstall_hook(env):
    """Let Odoo remove the demo and data records the addon's own tables still point to.

    Odoo deletes the records of the addon's XML ids (demo customers, rewards, loyalty programs, tiers)
    before it drops the addon's tables; the ledger, members, events and redemptions refer to them and
    would refuse. Those tables are about to be dropped, so their foreign keys (and the ledger's
    append-only trigger) go first. Nothing outside the addon's own tables is touched.
    """
    env.cr.execute(
        SQL(
            """
            SELECT DISTINCT replace(m.model, '.', '_')
              FROM ir_model m
              JOIN ir_model_data d ON d.model = 'ir.model' AND d.res_id = m.id AND d.module = %s
             WHERE m.model LIKE 'pr.%%'
            """,
            "positive_reinforcement",
        )
    )
    tables = [table for (table,) in env.cr.fetchall()]
    env.cr.execute(
        SQL(
            """
            SELECT c.conrelid::regclass::text, c.conname
              FROM pg_constraint c
             WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)
            """,
            tables,
        )
    )
    for table, constraint in env.cr.fetchall():
        env.cr.execute(SQL("ALTER TABLE %s DROP CONSTRAINT %s", SQL.identifier(table), SQL.identifier(constraint)))
    env.cr.execute(SQL("DROP TRIGGER IF EXISTS pr_ledger_entry_guard ON pr_ledger_entry"))
