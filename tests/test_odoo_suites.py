"""Odoo's own tests of the paths the addon lives in, run with the addon loaded.

The at-install tests of crm, sale, survey... run before the addon is loaded and never meet its
overrides and automated rules; ``make test`` only runs the addon's own tags. These subclasses run
the tests that cover the addon's hot paths (confirming orders, invoices and payments, loyalty,
lead writes, assignment and conversion with their query counts, survey submission with its query
count, mailing subscriptions, automated rules, ratings) as post-install tests of this addon, so
that a regression the addon causes in another app fails here.

With ``PR_ODOO_SUITES=crm,sale,...`` in the environment, every test class of those apps is made a
post-install test of this addon too, tagged ``pr_odoo_suite`` (README, Tests, gives the command).
"""

import os
import unittest

from odoo.tests import loader, tagged

from odoo.addons.base_automation.tests.test_automation import TestAutomation
from odoo.addons.crm.tests.test_crm_lead import TestCrmLeadMailTrackingDuration
from odoo.addons.crm.tests.test_crm_lead_convert_mass import TestLeadConvertMass
from odoo.addons.crm.tests.test_performances import TestLeadAssignPerf
from odoo.addons.loyalty.tests.test_loyalty import TestLoyalty
from odoo.addons.mass_mailing.tests.test_mailing_list import TestMailingContactToList, TestSubscriptionManagement
from odoo.addons.rating.tests.test_security import TestAccessRating
from odoo.addons.sale.tests.test_sale_to_invoice import TestSaleToInvoice
from odoo.addons.sale_loyalty.tests.test_loyalty import TestLoyalty as TestSaleLoyalty
from odoo.addons.sale_loyalty.tests.test_sale_invoicing import TestSaleInvoicing
from odoo.addons.survey.tests.test_certification_flow import TestCertificationFlow
from odoo.addons.survey.tests.test_survey_flow import TestSurveyFlow


@tagged("post_install", "-at_install")
class TestCrmLeadAssignmentWithAddon(TestLeadAssignPerf):
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestCrmMassConvertWithAddon(TestLeadConvertMass):
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestCrmMailTrackingWithAddon(TestCrmLeadMailTrackingDuration):
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestSaleToInvoiceWithAddon(TestSaleToInvoice):
    allow_inherited_tests_method = True
    # Needs the account_account module, which this addon does not depend on: sale skips it there too.
    test_partial_invoicing_interaction_with_invoicing_switch_threshold = None


@tagged("post_install", "-at_install")
class TestSaleLoyaltyWithAddon(TestSaleLoyalty):
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestSaleLoyaltyInvoicingWithAddon(TestSaleInvoicing):
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestLoyaltyWithAddon(TestLoyalty):
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestSurveyFlowWithAddon(TestSurveyFlow):
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestSurveyCertificationWithAddon(TestCertificationFlow):
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestMailingContactToListWithAddon(TestMailingContactToList):
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestMailingSubscriptionWithAddon(TestSubscriptionManagement):
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestAutomationWithAddon(TestAutomation):
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestRatingAccessWithAddon(TestAccessRating):
    allow_inherited_tests_method = True


def _whole_suites(module_names):
    """Each test class of these apps, with its own tests, as a post-install test of this addon."""
    for module_name in module_names:
        for test_module in loader.get_test_modules(module_name):
            for name, test_class in list(vars(test_module).items()):
                if not (
                    isinstance(test_class, type)
                    and issubclass(test_class, unittest.TestCase)
                    and test_class.__module__ == test_module.__name__
                ):
                    continue
                tests = {key: value for key, value in vars(test_class).items() if key.startswith("test")}
                suite = type(f"Suite_{module_name}_{name}", (test_class,), {"__module__": __name__, **tests})
                yield suite.__name__, tagged("post_install", "-at_install", "pr_odoo_suite")(suite)


globals().update(_whole_suites(name.strip() for name in os.environ.get("PR_ODOO_SUITES", "").split(",") if name))
