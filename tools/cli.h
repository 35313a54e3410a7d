/*
 * The drover command: what the subcommands share.
 */
#ifndef DROVER_CLI__H
#define DROVER_CLI__H

#include <glib.h>
#include <crm/common/results.h>

#include <drover/cib.h>
#include <drover/deadline.h>
#include <drover/output.h>

typedef struct {
    drover_output_format_t format;
    int timeout_s; /* longest wait for the cluster */
    GString *man;  /* set: cli_parse() adds the command's manual section
                      here and returns CLI_MAN_DONE (drover help --man) */
} cli_t;

/* What cli_parse() returns once it has written a manual section */
#define CLI_MAN_DONE CRM_EX_NONE

/* A subcommand: parses its own arguments, returns a crm_exit_t */
typedef crm_exit_t (*cli_command_fn)(cli_t *cli, int argc, char **argv);

typedef struct {
    const char *name;
    const char *args; /* synopsis after the name */
    const char *summary;
    cli_command_fn fn;
} cli_command_t;

/* The options every command takes (--output-as, --timeout, -V) */
extern GOptionEntry cli_global_entries[];

/*! \brief A context for \p entries and the global options */
GOptionContext *cli_new_context(const char *parameter_string,
                                const char *summary, GOptionEntry *entries);

/*! \brief Apply the global options after a parse (CRM_EX_USAGE if bad) */
crm_exit_t cli_apply_globals(cli_t *cli);

/*! \brief The options of \p entries as roff .TP paragraphs */
void cli_man_options(GString *man, const GOptionEntry *entries);

/*!
 * \brief Parse a subcommand's options (plus the global ones)
 *
 * \return CRM_EX_OK, or CRM_EX_USAGE after printing what was wrong
 */
crm_exit_t cli_parse(cli_t *cli, const char *command,
                     const char *parameter_string, const char *summary,
                     GOptionEntry *entries, int *argc, char ***argv);

/*!
 * \brief Report a failure: on stderr, and as <status> in XML/JSON output
 */
crm_exit_t cli_fail(cli_t *cli, drover_output_t *out, crm_exit_t code,
                    const char *format, ...) G_GNUC_PRINTF(4, 5);

/*!
 * \brief Print a finished result and return its exit code
 */
crm_exit_t cli_finish(cli_t *cli, drover_output_t *out,
                      drover_output_text_fn text);

drover_deadline_t cli_deadline(const cli_t *cli);

/* This node's name as Pacemaker knows it (crm_node --name), else the
 * host's */
char *cli_local_node_name(void);

/*!
 * \brief The CIB (live, or CIB_file), or an exit code after saying why not
 */
crm_exit_t cli_cib(cli_t *cli, drover_output_t *out, drover_cib_t **cib);

/*!
 * \brief crm_mon's XML view of the cluster (nodes and resources, inactive
 *        ones too), or an exit code after saying why not
 */
crm_exit_t cli_crm_mon(cli_t *cli, drover_output_t *out, xmlDoc **doc);

/* The first element named \p name below \p node, depth first */
xmlNode *cli_xml_find(xmlNode *node, const char *name);

/* Resource \p id in crm_mon's XML below \p node (groups, clones too) */
xmlNode *cli_mon_resource(xmlNode *node, const char *id);

/* Subcommands */
/* What keeps VM from moving live, from its config as this host reads it
 * (within a second: a hung share blocks nothing): a host device
 * (drover_domxml_blocker()), or a disk on a file system only one host
 * sees unless its migrate_options copies the disks; NULL: nothing known
 * (with \p unknown, when not NULL, saying why nothing could be read).
 * \p config, when not NULL, gets the config's XML (NULL: not read). */
char *cli_vm_blocked(const drover_cib_t *cib, const char *vm, char **unknown,
                     char **config);

/* Why \p node cannot provide the CPU that VM's \p config names, its
 * libvirt asked as VM's agent would ask it before a migration
 * (drover_platform_cpu_refuses()); NULL when it can or nothing was asked
 * (a CIB file, no CPU to compare, no answer within 2 s) */
char *cli_cpu_refuses(cli_t *cli, const drover_cib_t *cib, const char *vm,
                      const char *config, const char *node);

crm_exit_t cmd_config(cli_t *cli, int argc, char **argv);

/*! \brief The SETTINGS section of drover(8), from lib/options.c */
void cli_options_man(GString *man);

/*! \brief docs/options.md, from lib/options.c */
void cli_options_markdown(GString *md);
crm_exit_t cmd_drain(cli_t *cli, int argc, char **argv);
crm_exit_t cmd_networks(cli_t *cli, int argc, char **argv);
crm_exit_t cmd_health(cli_t *cli, int argc, char **argv);
crm_exit_t cmd_slots(cli_t *cli, int argc, char **argv);
crm_exit_t cmd_status(cli_t *cli, int argc, char **argv);
crm_exit_t cmd_undrain(cli_t *cli, int argc, char **argv);
crm_exit_t cmd_version(cli_t *cli, int argc, char **argv);

#endif /* DROVER_CLI__H */
