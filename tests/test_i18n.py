from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestIndonesian(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("id_ID")
        cls.env["ir.module.module"]._load_module_terms(["positive_reinforcement"], ["id_ID"], overwrite=True)

    def test_menus_fields_and_errors_read_in_indonesian(self):
        env = self.env(context={"lang": "id_ID"})
        self.assertEqual(env.ref("positive_reinforcement.pr_ledger_entry_menu").name, "Buku Poin")
        Entry = env["pr.ledger.entry"]
        kinds = dict(Entry._fields["kind"]._description_selection(env))
        self.assertEqual(kinds["reversal"], "Pembalikan")
        self.assertEqual(Entry._fields["state"]._description_selection(env)[0][1], "Tertunda")
        self.assertEqual(
            env["ir.model.fields"]._get("pr.tier", "min_points").with_context(lang="id_ID").field_description,
            "Poin Kualifikasi",
        )
        self.assertNotEqual(
            env._("Posted ledger entries cannot be modified. Post a reversal instead."),
            "Posted ledger entries cannot be modified. Post a reversal instead.",
        )
