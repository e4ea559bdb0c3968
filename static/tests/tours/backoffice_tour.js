import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

function opens(action, selector, content) {
    return [
        stepUtils.goToUrl(`/odoo/action-positive_reinforcement.${action}`),
        { content, trigger: selector },
    ];
}

registry.category("web_tour.tours").add("pr_backoffice_screens", {
    steps: () => [
        {
            content: "The customer form has a Loyalty tab",
            trigger: ".o_notebook a:contains(Loyalty)",
            run: "click",
        },
        { content: "Tier and balances", trigger: ".o_field_widget[name=pr_points_available]" },
        { content: "The referral link", trigger: ".o_field_widget[name=pr_referral_url]" },
        { content: "The points smart button", trigger: "button[name=action_view_pr_ledger]" },
        ...opens("pr_member_action", ".o_list_view .o_data_row", "Loyalty members list"),
        ...opens("pr_ledger_entry_action", ".o_list_view .o_data_row", "Reward ledger list"),
        ...opens("pr_ledger_entry_action_analysis", ".o_graph_renderer", "Points analysis graph"),
        ...opens("pr_event_action", ".o_list_view", "Behaviour events list"),
        ...opens("pr_reward_rule_action", ".o_list_view .o_data_row", "Reward rules list"),
        { trigger: ".o_list_view .o_data_row .o_data_cell", run: "click" },
        { content: "Reward rule form", trigger: ".o_form_view .o_notebook a:contains(Outcomes)", run: "click" },
        { trigger: ".o_field_widget[name=points_mode]" },
        ...opens("pr_referral_action", ".o_list_view", "Referrals list"),
        ...opens("pr_referral_report_action", ".o_graph_renderer, .o_view_nocontent", "Referral rate"),
        ...opens("pr_tier_action", ".o_list_view .o_data_row", "Loyalty tiers"),
        ...opens("res_config_settings_action", ".app_settings_block[data-key=positive_reinforcement], .o_settings_container", "Settings"),
    ],
});
