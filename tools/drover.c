/*
 * drover — the admin command.  `drover help` lists the subcommands.
 *
 * Exit codes follow Pacemaker's crm_exit_t: 0 success, 64 usage error,
 * 69 cluster unreachable, 78 invalid configuration, 124 timeout...
 */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <drover/log.h>
#include <drover/rc.h>

#include <drover/cib.h>

#include "cli.h"

#define DEFAULT_TIMEOUT_S 30

static const cli_command_t commands[] = {
    { "config", "show|check",
      "show drover's configuration in the cluster, or check it", cmd_config },
    { "drain", "NODE [--dry-run|--wait|--cancel]",
      "empty a node in order, within the limits (or show the plan)",
      cmd_drain },
    { "health", "", "this node's health checks, also for monitoring",
      cmd_health },
    { "networks", "explain VM --to NODE",
      "which migration network a migration would use, and why", cmd_networks },
    { "slots", "", "migrations holding or waiting for a slot", cmd_slots },
    { "status", "",
      "nodes and VMs: where they run, what their last migration did",
      cmd_status },
    { "undrain", "NODE [--failback]",
      "end a drain; bring the VMs back with --failback", cmd_undrain },
    { "version", "", "show the versions of drover and its libraries",
      cmd_version },
    { 0 },
};

static char *output_as = NULL;
static int verbose = 0;
static int timeout_s = DEFAULT_TIMEOUT_S;
static gboolean show_version = FALSE;

static gboolean
count_verbose(const char *name, const char *value, gpointer data,
              GError **error)
{
    (void) name;
    (void) value;
    (void) data;
    (void) error;
    verbose++;
    return TRUE;
}

static GOptionEntry global_entries[] = {
    { "output-as", 0, 0, G_OPTION_ARG_STRING, &output_as,
      "Output format: text (default), xml or json", "FORMAT" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s,
      "Longest wait for the cluster, in seconds (default 30)", "SECONDS" },
    { "verbose", 'V', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
      count_verbose, "Log more (repeat for even more)", NULL },
    { 0 },
};

static GOptionEntry main_entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, &show_version,
      "Show the version and exit", NULL },
    { 0 },
};

/* Apply the global options after a parse */
static crm_exit_t
apply_globals(cli_t *cli)
{
    if (output_as != NULL
        && drover_output_format_parse(output_as, &cli->format) != 0) {
        fprintf(stderr,
                "drover: Invalid --output-as value '%s': "
                "use text, xml or json\n",
                output_as);
        return CRM_EX_USAGE;
    }
    if (timeout_s <= 0) {
        fprintf(stderr,
                "drover: Invalid --timeout value %d: "
                "use a positive number of seconds\n",
                timeout_s);
        return CRM_EX_USAGE;
    }
    cli->timeout_s = timeout_s;
    drover_log_more_verbose(verbose);
    verbose = 0;
    return CRM_EX_OK;
}

static GOptionContext *
new_context(const char *parameter_string, const char *summary,
            GOptionEntry *entries)
{
    GOptionContext *context = g_option_context_new(parameter_string);

    g_option_context_add_main_entries(context, global_entries, NULL);
    if (entries != NULL) {
        g_option_context_add_main_entries(context, entries, NULL);
    }
    g_option_context_set_summary(context, summary);
    return context;
}

crm_exit_t
cli_parse(cli_t *cli, const char *command, const char *parameter_string,
          const char *summary, GOptionEntry *entries, int *argc, char ***argv)
{
    g_autofree char *params = g_strdup_printf(
        "%s%s%s", command, *parameter_string ? " " : "", parameter_string);
    g_autoptr(GOptionContext) context = new_context(params, summary, entries);
    g_autoptr(GError) error = NULL;

    if (!g_option_context_parse(context, argc, argv, &error)) {
        fprintf(stderr, "drover %s: %s\nTry 'drover %s --help'.\n", command,
                error->message, command);
        return CRM_EX_USAGE;
    }
    return apply_globals(cli);
}

drover_deadline_t
cli_deadline(const cli_t *cli)
{
    return drover_deadline_in_ms((gint64) cli->timeout_s * 1000);
}

crm_exit_t
cli_fail(cli_t *cli, drover_output_t *out, crm_exit_t code, const char *format,
         ...)
{
    g_autofree char *message = NULL;
    va_list ap;

    va_start(ap, format);
    message = g_strdup_vprintf(format, ap);
    va_end(ap);
    fprintf(stderr, "drover: %s\n", message);
    if (out != NULL && cli->format != DROVER_OUTPUT_TEXT) {
        drover_output_status(out, code, message);
        drover_output_print(out, cli->format, NULL, stdout);
    }
    return code;
}

crm_exit_t
cli_cib(cli_t *cli, drover_output_t *out, drover_cib_t **cib)
{
    int rc = drover_cib_query(cli_deadline(cli), cib);

    if (rc != 0) {
        return cli_fail(cli, out, drover_rc_to_exit(rc),
                        "Cannot read the cluster configuration: %s "
                        "(is Pacemaker running here? For a file, set "
                        "CIB_file=PATH)",
                        drover_rc_str(rc));
    }
    return CRM_EX_OK;
}

crm_exit_t
cli_finish(cli_t *cli, drover_output_t *out, drover_output_text_fn text)
{
    int rc;

    drover_output_status(out, CRM_EX_OK, "OK");
    rc = drover_output_print(out, cli->format, text, stdout);
    if (rc != 0) {
        fprintf(stderr, "drover: Cannot write the output: %s\n",
                drover_rc_str(rc));
        return CRM_EX_IOERR;
    }
    return CRM_EX_OK;
}

static void
print_commands(FILE *stream)
{
    fprintf(stream,
            "Usage: drover [OPTION...] COMMAND [ARGS...]\n\n"
            "Live-migration control for Pacemaker + libvirt clusters.\n\n"
            "Commands:\n");
    for (const cli_command_t *c = commands; c->name != NULL; c++) {
        g_autofree char *synopsis = g_strdup_printf("%s %s", c->name, c->args);

        fprintf(stream, "  %-30s %s\n", synopsis, c->summary);
    }
    fprintf(stream, "  %-30s %s\n", "help [COMMAND]",
            "show this list, or a command's options");
    fprintf(stream,
            "\nGlobal options: --output-as=text|xml|json, "
            "--timeout=SECONDS, -V.\n"
            "Read-only commands work on a CIB file with CIB_file=PATH.\n");
}

static const cli_command_t *
find_command(const char *name)
{
    for (const cli_command_t *c = commands; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

static crm_exit_t
cmd_help(cli_t *cli, int argc, char **argv)
{
    const cli_command_t *c = NULL;
    char *help_argv[] = { NULL, (char *) "--help", NULL };

    if (argc < 2) {
        print_commands(stdout);
        return CRM_EX_OK;
    }
    c = find_command(argv[1]);
    if (c == NULL) {
        fprintf(stderr, "drover: Unknown command '%s'; see 'drover help'\n",
                argv[1]);
        return CRM_EX_USAGE;
    }
    help_argv[0] = argv[1];
    return c->fn(cli, 2, help_argv); /* GOption prints and exits 0 */
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) context = NULL;
    g_autoptr(GError) error = NULL;
    const cli_command_t *command = NULL;
    cli_t cli = { .format = DROVER_OUTPUT_TEXT };
    crm_exit_t rc;

    setlocale(LC_ALL, "");
    g_set_prgname("drover");
    drover_log_init("drover", DROVER_LOG_TOOL);

    /* Global options first; everything from the command on is its own */
    context = new_context("COMMAND [ARGS...]",
                          "Live-migration control for Pacemaker + libvirt "
                          "clusters.\nSee 'drover help' for the commands.",
                          main_entries);
    g_option_context_set_strict_posix(context, TRUE);
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        fprintf(stderr, "drover: %s\nTry 'drover --help'.\n", error->message);
        return CRM_EX_USAGE;
    }
    rc = apply_globals(&cli);
    if (rc != CRM_EX_OK) {
        return rc;
    }
    if (show_version) {
        char *version_argv[] = { (char *) "version", NULL };

        return cmd_version(&cli, 1, version_argv);
    }
    if (argc < 2) {
        print_commands(stderr);
        return CRM_EX_USAGE;
    }
    if (strcmp(argv[1], "help") == 0) {
        return cmd_help(&cli, argc - 1, argv + 1);
    }
    command = find_command(argv[1]);
    if (command == NULL) {
        fprintf(stderr, "drover: Unknown command '%s'; see 'drover help'\n",
                argv[1]);
        return CRM_EX_USAGE;
    }
    rc = command->fn(&cli, argc - 1, argv + 1);
    drover_log_fini();
    return rc;
}
