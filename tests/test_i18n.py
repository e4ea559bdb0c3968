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

    def test_every_menu_field_and_choice_is_in_the_indonesian_file(self):
        """What the back office shows of this addon (menus, field labels, choices) is all in i18n/id.po."""
        import polib  # noqa: PLC0415 - an Odoo requirement, only needed here

        from odoo.tools.misc import file_path  # noqa: PLC0415

        po = polib.pofile(file_path("positive_reinforcement/i18n/id.po"))
        known = {entry.msgid for entry in po if not entry.obsolete and not entry.fuzzy}
        data = self.env["ir.model.data"].search([("module", "=", "positive_reinforcement")])
        menus = self.env["ir.ui.menu"].browse(data.filtered(lambda d: d.model == "ir.ui.menu").mapped("res_id"))
        fields = self.env["ir.model.fields"].browse(
            data.filtered(lambda d: d.model == "ir.model.fields").mapped("res_id")
        )
        choices = self.env["ir.model.fields.selection"].browse(
            data.filtered(lambda d: d.model == "ir.model.fields.selection").mapped("res_id")
        )
        labels = (
            set(menus.with_context(lang="en_US").mapped("name"))
            | set(fields.with_context(lang="en_US").mapped("field_description"))
            | set(choices.with_context(lang="en_US").mapped("name"))
        )
        self.assertGreater(len(labels), 300)
        # Odoo exports no term of a single character (a label such as "z"): nothing to translate there.
        missing = sorted(label for label in labels - known if len(label) > 1)
        self.assertEqual(missing, [], "terms missing from i18n/id.po: run make pot, translate")
