/*
 * libFuzzer target: NodeHealth's published report
 * (drover_health_report_parse, drover_health_report_format), the JSON
 * every node reads back from the others' private attributes.
 *
 * Input: the attribute's value (up to the first NUL, and to the end of
 * its first JSON value: see fuzz_json.h).  A parsed report
 * has every field set (the monitoring formats print them), and formats to
 * a text that parses to the same results.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drover/health.h>

#include "fuzz_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void G_GNUC_NORETURN
fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_health_report: %s (input '%s')\n", what, text);
    abort();
}

static void
check_results(const GPtrArray *results, const char *text)
{
    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        if (r->node == NULL || r->check == NULL || r->subject == NULL
            || r->reason == NULL) {
            fail("a parsed result lacks a field", text);
        }
        if (r->status > DROVER_HEALTH_UNKNOWN) {
            fail("a parsed result has no known status", text);
        }
        if (strcmp(r->node,
                   ((drover_health_result_t *) g_ptr_array_index(results, 0))
                       ->node)
            != 0) {
            fail("one report of several nodes", text);
        }
    }
}

static bool
results_equal(const GPtrArray *a, const GPtrArray *b)
{
    if (a->len != b->len) {
        return false;
    }
    for (guint i = 0; i < a->len; i++) {
        const drover_health_result_t *x = g_ptr_array_index(a, i);
        const drover_health_result_t *y = g_ptr_array_index(b, i);

        if (strcmp(x->node, y->node) != 0 || strcmp(x->check, y->check) != 0
            || strcmp(x->subject, y->subject) != 0 || x->status != y->status
            || strcmp(x->reason, y->reason) != 0 || x->ms != y->ms) {
            return false;
        }
    }
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = fuzz_json_first_value(data, size);
    g_autoptr(GPtrArray) results = NULL;
    g_autoptr(GPtrArray) again = NULL;
    g_autofree char *formatted = NULL;
    g_autofree char *problems = NULL;
    g_autofree char *nagios = NULL;
    g_autofree char *prometheus = NULL;
    const char *node = "n1";
    gint64 at = 0;
    gint64 at_again = 0;

    if (drover_health_report_parse(text, &results, &at) != 0) {
        if (results != NULL) {
            fail("rejected report returned anyway", text);
        }
        return 0;
    }
    if (results == NULL) {
        fail("accepted report not returned", text);
    }
    check_results(results, text);
    /* what drover health does with the others' reports */
    problems = drover_health_problems(results);
    nagios = drover_health_nagios(results);
    prometheus = drover_health_prometheus(results);
    if (results->len > 0) {
        node = ((drover_health_result_t *) g_ptr_array_index(results, 0))->node;
    }
    formatted = drover_health_report_format(results, node, at);
    if (drover_health_report_parse(formatted, &again, &at_again) != 0) {
        fail("a formatted report does not parse again", text);
    }
    if (at != at_again || !results_equal(results, again)) {
        fail("round trip changed the report", text);
    }
    return 0;
}
