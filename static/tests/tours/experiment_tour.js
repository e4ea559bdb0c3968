import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

registry.category("web_tour.tours").add("pr_experiment_screens", {
    steps: () => [
        { content: "A running experiment", trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Running)" },
        { content: "Open its results", trigger: ".o_notebook a:contains(Results)", run: "click" },
        { content: "The group is compared with the holdout", trigger: ".o_data_row td[name=lift_display]:contains(%)" },
        { content: "An empty group shows n/a", trigger: ".o_data_row td[name=z_display]:contains(n/a)" },
        { content: "And says why", trigger: ".o_data_row td[name=result_warning]:contains(No customer in this group)" },
        { content: "The bound for an early look", trigger: ".o_field_widget[name=significance_boundary]" },
        { content: "The groups", trigger: ".o_notebook a:contains(Groups)", run: "click" },
        { trigger: ".o_data_row td[name=rule_ids]:contains(Review x2)" },
        stepUtils.goToUrl("/odoo/action-positive_reinforcement.pr_experiment_action/new"),
        { content: "A new experiment starts with a holdout", trigger: ".o_data_row td[name=name]:contains(Holdout)" },
        { content: "and the sample size it needs", trigger: ".o_field_widget[name=sample_size]:contains(3,841)" },
        stepUtils.goToUrl("/odoo/action-positive_reinforcement.pr_experiment_action"),
        { content: "The list of experiments", trigger: ".o_list_view .o_data_row" },
    ],
});
