import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

function opens(action, selector, content) {
    return [
        stepUtils.goToUrl(`/odoo/action-positive_reinforcement.${action}`),
        { content, trigger: selector },
    ];
}

registry.category("web_tour.tours").add("pr_badge_screens", {
    steps: () => [
        { content: "More smart buttons", trigger: ".o-form-buttonbox button:contains(More)", run: "click" },
        { content: "The badges smart button", trigger: "button[name=action_view_pr_badges]:contains(1)" },
        { content: "The Loyalty tab", trigger: ".o_notebook a:contains(Loyalty)", run: "click" },
        { content: "The leaderboard opt-in", trigger: ".o_field_widget[name=pr_leaderboard_opt_in] input:checked" },
        {
            content: "The badges earned",
            trigger: ".o_field_widget[name=pr_badge_grant_ids] .o_data_row:contains(Screen Badge)",
        },
        ...opens("pr_badge_action", ".o_kanban_record:contains(Screen Badge)", "Badges kanban"),
        { trigger: ".o_kanban_record:contains(Screen Badge)", run: "click" },
        { content: "Badge form", trigger: ".o_form_view .o_field_widget[name=criterion]" },
        { content: "Grant it now", trigger: "button[name=action_grant_now]", run: "click" },
        { content: "How many earned it", trigger: ".o_notification:contains(customers earned a badge)" },
        ...opens("pr_badge_grant_action", ".o_list_view .o_data_row:contains(Screen Customer)", "Badges earned"),
        ...opens("pr_leaderboard_action", ".o_list_view .o_data_row:contains(Screen Customer)", "Leaderboard"),
    ],
});
