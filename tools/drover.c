/*
 * drover — the admin command.  `drover help` lists the subcommands.
 *
 * Exit codes follow Pacemaker's crm_exit_t: 0 success, 64 usage error,
 * 69 cluster unreachable, 78 invalid configuration, 124 timeout...
 */
#include <locale.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <drover/log.h>
#include <drover/rc.h>
#include <drover/spawn.h>

#include <drover/cib.h>

#include "cli.h"
#include "drover_private.h"

static const cli_command_t commands[] = {
    { "config", "show|check|options",
      "show drover's settings in the cluster, check them, or list them all",
      cmd_config },
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

static gboolean show_version = FALSE;

static GOptionEntry main_entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, &show_version,
      "Show the version and exit", NULL },
    { 0 },
};

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
    fprintf(stream, "  %-30s %s\n", "help [COMMAND|--man]",
            "show this list, a command's options, or the manual page");
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

static crm_exit_t cmd_help(cli_t *cli, int argc, char **argv);

/* drover(8), from the same tables as each command's --help */
static crm_exit_t
print_man(void)
{
    g_autoptr(GString) man = g_string_new(NULL);
    cli_t cli = { .format = DROVER_OUTPUT_TEXT, .man = man };

    g_string_append_printf(
        man,
        ".TH DROVER 8 \"\" \"drover %s\" \"drover\"\n"
        ".SH NAME\ndrover \\- live\\-migration control for Pacemaker + "
        "libvirt clusters\n"
        ".SH SYNOPSIS\n.B drover\n.RI [ option ...]\n.I command\n"
        ".RI [ argument ...]\n"
        ".SH DESCRIPTION\n"
        ".B drover\nshows and drives what the ocf:drover agents do in a "
        "Pacemaker + Corosync cluster of libvirt/KVM hosts: migration "
        "networks, migration slots, node drains and health.  Pacemaker stays "
        "the only thing that starts, stops and moves resources; drover "
        "changes the CIB and reads the cluster's state.\n"
        ".PP\nRead\\-only commands work on a CIB file with\n"
        ".BR CIB_file =\\fIpath\\fR.\n"
        ".SH GLOBAL OPTIONS\n",
        DROVER_VERSION);
    cli_man_options(man, cli_global_entries);
    g_string_append(man, ".SH COMMANDS\n");
    for (const cli_command_t *c = commands; c->name != NULL; c++) {
        char *argv[] = { (char *) c->name, NULL };

        (void) c->fn(&cli, 1, argv); /* cli_parse() writes, the rest waits */
    }
    {
        char *argv[] = { (char *) "help", NULL };

        (void) cmd_help(&cli, 1, argv);
    }
    cli_options_man(man);
    g_string_append(
        man, ".SH EXIT STATUS\n"
             "Pacemaker's exit codes: 0 success, 1 error, 64 bad usage, 69 "
             "the cluster is unavailable, 78 invalid configuration, 105 no "
             "such object, 113 not all of it could be done, 124 timed out.  "
             "drover health exits as a monitoring plugin: 0 ok, 1 warning, 2 "
             "critical, 3 unknown.\n"
             ".SH FILES\n"
             ".I /usr/share/drover/schemas/drover\\-output.rng\n"
             "the RelaxNG schema of \n.BR \\-\\-output\\-as = xml .\n"
             ".SH SEE ALSO\n"
             ".BR drover\\-VirtualDomain (7),\n"
             ".BR drover\\-NodeHealth (7),\n"
             ".BR crm_mon (8),\n.BR crm_resource (8),\n"
             ".BR crm_attribute (8)\n");
    return (fputs(man->str, stdout) < 0) ? CRM_EX_IOERR : CRM_EX_OK;
}

static gboolean help_man = FALSE;
static gboolean help_markdown = FALSE;

static GOptionEntry help_entries[] = {
    { "man", 0, 0, G_OPTION_ARG_NONE, &help_man,
      "Print the manual page drover(8), in roff", NULL },
    { "markdown", 0, 0, G_OPTION_ARG_NONE, &help_markdown,
      "Print docs/options.md, the table of drover's settings, in Markdown",
      NULL },
    { 0 },
};

static crm_exit_t
cmd_help(cli_t *cli, int argc, char **argv)
{
    const cli_command_t *c = NULL;
    char *help_argv[] = { NULL, (char *) "--help", NULL };
    crm_exit_t rc = cli_parse(
        cli, "help", "[COMMAND|--man|--markdown]",
        "Without COMMAND, list the commands; with one, show its options and "
        "what it does (as 'drover COMMAND --help'); with --man, print the "
        "manual page drover(8); with --markdown, the table of settings "
        "(docs/options.md).",
        help_entries, &argc, &argv);

    if (rc != CRM_EX_OK) {
        return rc;
    }
    if (help_man) {
        return print_man();
    }
    if (help_markdown) {
        g_autoptr(GString) md = g_string_new(NULL);

        cli_options_markdown(md);
        return (fputs(md->str, stdout) < 0) ? CRM_EX_IOERR : CRM_EX_OK;
    }
    if (argc < 2) {
        print_commands(stdout);
        return CRM_EX_OK;
    }
    if (argc > 2) {
        fprintf(stderr, "drover help: Expected one COMMAND\n");
        return CRM_EX_USAGE;
    }
    if (strcmp(argv[1], "help") == 0) { /* its own usage, as for the others */
        help_argv[0] = argv[1];
        return cmd_help(cli, 2, help_argv); /* GOption prints and exits 0 */
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
    signal(SIGPIPE, SIG_IGN); /* a dropped connection is an error, not death */
    g_set_prgname("drover");
    drover_log_init("drover", DROVER_LOG_TOOL);

    /* Global options first; everything from the command on is its own */
    context = cli_new_context("COMMAND [ARGS...]",
                              "Live-migration control for Pacemaker + libvirt "
                              "clusters.\nSee 'drover help' for the commands.",
                              main_entries);
    g_option_context_set_strict_posix(context, TRUE);
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        fprintf(stderr, "drover: %s\nTry 'drover --help'.\n", error->message);
        return CRM_EX_USAGE;
    }
    rc = cli_apply_globals(&cli);
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
