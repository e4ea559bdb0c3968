from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, tagged

BRIDGES = {
    # bridge: (the Odoo app it needs, the dependency that pulls it in)
    "positive_reinforcement_pos": ("point_of_sale", "pos_loyalty"),
    "positive_reinforcement_website_sale": ("website_sale", "website_sale_loyalty"),
}


@tagged("post_install", "-at_install")
class TestCheckoutBridges(TransactionCase):
    """The Point of Sale and eCommerce parts live in bridge addons, installed only with their apps."""

    def test_bridges_absent_when_their_apps_are_not_installed(self):
        Module = self.env["ir.module.module"]
        installed = set(Module.search([("state", "=", "installed")]).mapped("name"))
        for bridge, (app, dependency) in BRIDGES.items():
            self.assertEqual(bridge in installed, app in installed, f"{bridge} is installed exactly with {app}")
            manifest = get_manifest(bridge)
            if manifest:  # on the addons path (make test, make run)
                self.assertTrue(manifest["auto_install"], f"{bridge} installs itself")
                self.assertEqual(set(manifest["depends"]), {"positive_reinforcement", dependency})
        pos = "point_of_sale" in installed
        self.assertEqual("pr_pos_checkout" in self.env["res.company"]._fields, pos)
        self.assertEqual(hasattr(self.env["sale.order"], "_pr_cart_points_info"), "website_sale" in installed)
