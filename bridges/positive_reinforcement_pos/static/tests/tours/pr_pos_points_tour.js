import * as PosLoyalty from "@pos_loyalty/../tests/tours/utils/pos_loyalty_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("PrPosPayWithPoints", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            ProductScreen.clickDisplayedProduct("Till Lamp"),
            ProductScreen.clickPartnerButton(),
            ProductScreen.clickCustomer("Tour Shopper"),
            {
                content: "the till shows the customer's tier",
                trigger: ".o_pr_pos_loyalty .o_pr_pos_tier:contains('Tour Gold')",
            },
            {
                content: "the till shows the customer's available points",
                trigger: ".o_pr_pos_loyalty .o_pr_pos_points:contains('3000')",
            },
            PosLoyalty.claimReward("Paid with points"),
            PosLoyalty.hasRewardLine("Paid with points", "-30.00"),
            PosLoyalty.orderTotalIs("70.00"),
            PosLoyalty.finalizeOrder("Cash", "70"),
        ].flat(),
});
