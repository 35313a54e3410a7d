/*
 * A table-driven OCF agent for the dispatcher's unit tests.  Its resource
 * is a state file next to its "config" file: <config>.running.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <drover/ocf.h>
#include <drover/rc.h>

static const drover_ocf_param_t params[] = {
    { .name = "config",
      .type = DROVER_PARAM_STRING,
      .required = true,
      .unique = true,
      .shortdesc = "Configuration file",
      .longdesc = "Absolute path of the configuration file.",
      .check = drover_ocf_check_absolute_path },
    { .name = "count",
      .type = DROVER_PARAM_INTEGER,
      .default_value = "3",
      .shortdesc = "A count",
      .longdesc = "A number of things.",
      .min = 0,
      .max = 1000 },
    { .name = "verbose",
      .type = DROVER_PARAM_BOOLEAN,
      .default_value = "false",
      .shortdesc = "Be verbose",
      .longdesc = "Whether to say more & use <markup> in descriptions." },
    { 0 },
};

static char *
state_file(drover_ocf_t *ocf)
{
    const char *config = drover_ocf_param(ocf, "config");

    return (config != NULL) ? g_strconcat(config, ".running", NULL) : NULL;
}

static int
validate(drover_ocf_t *ocf, int level)
{
    const char *config = drover_ocf_param(ocf, "config");

    if (level >= 10 && access(config, R_OK) != 0) {
        drover_ocf_exit_reason(ocf,
                               "Configuration file '%s' is missing or "
                               "unreadable",
                               config);
        return DROVER_RC_INSTALLED;
    }
    return 0;
}

static int
start(drover_ocf_t *ocf)
{
    g_autofree char *state = state_file(ocf);
    g_autofree char *contents = NULL;

    g_file_get_contents(drover_ocf_param(ocf, "config"), &contents, NULL, NULL);
    if (contents != NULL && g_str_has_prefix(contents, "fail-start")) {
        drover_ocf_exit_reason(ocf, "Start refused by the configuration");
        return DROVER_RC_ERROR;
    }
    printf("deadline_ms=%" G_GINT64_FORMAT "\n",
           drover_deadline_remaining_ms(drover_ocf_deadline(ocf)));
    printf("count=%" G_GINT64_FORMAT " verbose=%d\n",
           drover_ocf_param_int(ocf, "count"),
           drover_ocf_param_bool(ocf, "verbose"));
    return g_file_set_contents(state, "", 0, NULL) ? 0 : EIO;
}

static int
stop(drover_ocf_t *ocf)
{
    g_autofree char *state = state_file(ocf);

    if (state == NULL || (g_unlink(state) != 0 && errno == ENOENT)) {
        return DROVER_RC_NOT_RUNNING;
    }
    return 0;
}

static int
monitor(drover_ocf_t *ocf)
{
    g_autofree char *state = state_file(ocf);

    return g_file_test(state, G_FILE_TEST_EXISTS) ? 0 : DROVER_RC_NOT_RUNNING;
}

static const drover_ocf_action_t actions[] = {
    { .name = "start", .fn = start, .timeout_s = 20 },
    { .name = "stop", .fn = stop, .timeout_s = 20 },
    { .name = "monitor", .fn = monitor, .timeout_s = 20, .interval_s = 10 },
    { .name = "validate-all", .timeout_s = 20 },
    { .name = "meta-data", .timeout_s = 5 },
    { 0 },
};

static const drover_ocf_agent_t agent = {
    .name = "TestAgent",
    .version = "1.0",
    .shortdesc = "Test agent",
    .longdesc = "An agent for the dispatcher's tests.",
    .params = params,
    .actions = actions,
    .validate = validate,
};

int
main(int argc, char **argv)
{
    return drover_ocf_main(&agent, argc, argv);
}
