/*
 * Every drover setting in the CIB (lib/options.h).
 */
#include <string.h>

#include <drover/config.h>
#include <drover/drain.h>
#include <drover/health.h>
#include <drover/platform.h>
#include <drover/record.h>
#include <drover/slot_group.h>
#include <drover/slots.h>

#include "drover_private.h"
#include "netsel_private.h"
#include "options.h"

/* In the order docs/options.md lists them: the admin's settings by
 * subject, then what drover writes */
const drover_option_t drover__options[] = {
    /* Networks (docs/networks.md) */
    { DROVER_NETWORKS_PROPERTY, DROVER_OPTION_CLUSTER, DROVER_OPTION_NETWORKS,
      NULL, NULL,
      "no migration network: migrateuri and "
      "migration_network_suffix decide",
      "The migration networks in order of preference, each a name and its "
      "subnets: \"lm1=10.20.1.0/24 lm2=10.20.2.0/24,fd00::/64\"" },
    { "drover-network-<network>-transport", DROVER_OPTION_NETWORK,
      DROVER_OPTION_WORD, "tcp tls rdma", "tcp", NULL,
      "How QEMU carries a migration on this network: tcp, tls (QEMU's own "
      "TLS) or rdma" },
    { "drover-network-<network>-group", DROVER_OPTION_NETWORK,
      DROVER_OPTION_NAME, NULL, NULL, "the network stands alone in the order",
      "Networks of one group are of equal preference (multichannel): the "
      "group takes the place of its first network in an order, and "
      "migrations spread over its usable networks, each new one to the "
      "network with the fewest" },
    { DROVER_INCOMING_ATTR, DROVER_OPTION_NODE, DROVER_OPTION_INCOMING, NULL,
      "any", NULL,
      "Which migrations this node takes in: any, none, network names, or "
      "the node's own addresses" },
    /* Limits (docs/slots.md) */
    { DROVER_MAX_OUTGOING_ATTR, DROVER_OPTION_NODE, DROVER_OPTION_LIMIT, NULL,
      G_STRINGIFY(DROVER_DEFAULT_MAX_OUTGOING), NULL,
      "Migrations out of this node at once" },
    { DROVER_MAX_INCOMING_ATTR, DROVER_OPTION_NODE, DROVER_OPTION_LIMIT, NULL,
      G_STRINGIFY(DROVER_DEFAULT_MAX_INCOMING), NULL,
      "Migrations into this node at once" },
    { DROVER_MAX_MIGRATIONS_PROPERTY, DROVER_OPTION_CLUSTER,
      DROVER_OPTION_LIMIT, NULL, "0", NULL,
      "Migrations in the cluster at once" },
    { "drover-network-<network>-max-migrations", DROVER_OPTION_NETWORK,
      DROVER_OPTION_LIMIT, NULL, "0", NULL,
      "Migrations on this network at once" },
    { "drover-network-<network>-bandwidth", DROVER_OPTION_NETWORK,
      DROVER_OPTION_LIMIT, NULL, "0", NULL,
      "The bandwidth of this network in MiB/s, shared by the migrations on "
      "it" },
    { DROVER_SLOTS_PROTOCOL_PROPERTY, DROVER_OPTION_CLUSTER, DROVER_OPTION_WORD,
      "1 2", G_STRINGIFY(DROVER_SLOTS_PROTOCOL), NULL,
      "The slot protocol the agents speak: 1 while an older drover is in "
      "the cluster (a rolling upgrade), else unset" },
    /* Health checks (docs/health.md) */
    { DROVER_HEALTH_TLS_PROPERTY, DROVER_OPTION_CLUSTER, DROVER_OPTION_WORD,
      "on off auto", "auto", NULL,
      "Check libvirt's (and QEMU's) TLS certificates; auto: when a "
      "migration network's transport is tls" },
    { DROVER_HEALTH_TLS_DIR_PROPERTY, DROVER_OPTION_CLUSTER, DROVER_OPTION_PATH,
      NULL, NULL,
      "libvirt's places: /etc/pki/CA/cacert.pem, "
      "/etc/pki/libvirt/{server,client}cert.pem",
      "A directory with cacert.pem, servercert.pem and clientcert.pem" },
    { DROVER_HEALTH_TLS_WARN_PROPERTY, DROVER_OPTION_CLUSTER,
      DROVER_OPTION_DAYS, NULL, "30", NULL,
      "Warn this many days before a certificate expires" },
    { DROVER_HEALTH_SSH_PROPERTY, DROVER_OPTION_CLUSTER, DROVER_OPTION_WORD,
      "on off auto", "auto", NULL,
      "Check that each peer's SSH host key is known; auto: when a drover "
      "VM has migration_transport ssh, libssh or libssh2" },
    { DROVER_HEALTH_SSH_KNOWN_PROPERTY, DROVER_OPTION_CLUSTER,
      DROVER_OPTION_PATHS, NULL,
      "/root/.ssh/known_hosts /etc/ssh/ssh_known_hosts", NULL,
      "The known-hosts files to look in (plain and hashed names, "
      "patterns)" },
    { DROVER_HEALTH_LDAP_URI_PROPERTY, DROVER_OPTION_CLUSTER,
      DROVER_OPTION_LDAP_URIS, NULL, NULL, "no directory check",
      "The directory servers that must hold each node's entry: "
      "ldap://ldap.example.org (ldaps:// when a password is set)" },
    { DROVER_HEALTH_LDAP_BASE_PROPERTY, DROVER_OPTION_CLUSTER,
      DROVER_OPTION_TEXT, NULL, NULL, "needed with a URI",
      "Where the node entries are: ou=hosts,dc=example,dc=org" },
    { DROVER_HEALTH_LDAP_FILTER_PROPERTY, DROVER_OPTION_CLUSTER,
      DROVER_OPTION_TEXT, NULL, "(cn=%n)", NULL,
      "The filter that finds a node's entry; %n: the node's name" },
    { DROVER_HEALTH_LDAP_EXPECT_PROPERTY, DROVER_OPTION_CLUSTER,
      DROVER_OPTION_TEXT, NULL, NULL, "the entry only",
      "Attributes the entry must have: attr or attr=value, "
      "blank-separated, %n allowed" },
    { DROVER_HEALTH_LDAP_BIND_PROPERTY, DROVER_OPTION_CLUSTER,
      DROVER_OPTION_TEXT, NULL, NULL, "an anonymous bind",
      "A simple bind as this DN" },
    { DROVER_HEALTH_LDAP_SECRET_PROPERTY, DROVER_OPTION_CLUSTER,
      DROVER_OPTION_PATH, NULL, NULL, "no password",
      "A file readable by root on every node holding the bind password "
      "(used over ldaps:// only)" },
    /* Written by drover */
    { DROVER_DRAIN_STATE_ATTR, DROVER_OPTION_DRAIN, DROVER_OPTION_WORD,
      "draining drained", NULL, "not drained",
      "drover drain: the node's drain state" },
    { DROVER_DRAIN_PLAN_ATTR, DROVER_OPTION_DRAIN, DROVER_OPTION_TEXT, NULL,
      NULL, NULL, "drover drain: the moves of the node's drain, in order" },
    { DROVER_HEALTH_REASON_ATTR, DROVER_OPTION_STATUS, DROVER_OPTION_TEXT, NULL,
      NULL, NULL, "NodeHealth (transient): what is not ok on the node" },
    { DROVER_HEALTH_REPORT_ATTR, DROVER_OPTION_STATUS, DROVER_OPTION_TEXT, NULL,
      NULL, NULL,
      "NodeHealth (private): the node's whole health report, JSON" },
    { "drover-net-<network>", DROVER_OPTION_STATUS, DROVER_OPTION_TEXT, NULL,
      NULL, NULL,
      "NodeHealth (transient): the node's address, MTU and link on a "
      "migration network" },
    { DROVER_HOST_ATTR, DROVER_OPTION_STATUS, DROVER_OPTION_TEXT, NULL, NULL,
      NULL,
      "NodeHealth (private): the node's CPU model and memory, for drover "
      "drain's plan" },
    { DROVER_PLATFORM_ATTR, DROVER_OPTION_STATUS, DROVER_OPTION_TEXT, NULL,
      NULL, NULL,
      "NodeHealth (private): the node's libvirt and QEMU versions "
      "and its QEMU's machine types" },
    { DROVER_RECORD_ATTR_PREFIX "<vm>", DROVER_OPTION_STATUS,
      DROVER_OPTION_TEXT, NULL, NULL, NULL,
      "VirtualDomain (private): the VM's last migration (network, result, "
      "time)" },
    { .name = NULL },
};

char *
drover__option_name_part(const char *pattern, const char *name)
{
    const char *open = strchr(pattern, '<');
    const char *close = (open != NULL) ? strchr(open, '>') : NULL;
    size_t head = 0;
    size_t tail = 0;
    size_t length = strlen(name);

    if (close == NULL) {
        return NULL;
    }
    head = (size_t) (open - pattern);
    tail = strlen(close + 1);
    /* a non-empty name in the <> part */
    if (length <= head + tail || strncmp(name, pattern, head) != 0
        || strcmp(name + length - tail, close + 1) != 0) {
        return NULL;
    }
    return g_strndup(name + head, length - head - tail);
}

const drover_option_t *
drover__option_find(const char *name)
{
    const drover_option_t *pattern = NULL;

    for (const drover_option_t *o = drover__options; o->name != NULL; o++) {
        if (strcmp(o->name, name) == 0) {
            return o; /* an exact name before any pattern */
        }
        if (pattern == NULL) {
            g_autofree char *part = drover__option_name_part(o->name, name);

            pattern = (part != NULL) ? o : NULL;
        }
    }
    return pattern;
}

static bool
valid_word(const char *words, const char *value)
{
    g_auto(GStrv) list = g_strsplit(words, " ", -1);

    return g_strv_contains((const char *const *) list, value);
}

static gboolean
is_ldap_uri(const char *text)
{
    return g_str_has_prefix(text, "ldap://")
           || g_str_has_prefix(text, "ldaps://");
}

/* \p value, split at \p separators, has a word and each \p fits; else
 * \p reason names the first that is not \p what, or says \p values */
static bool
words_valid(const char *value, const char *separators,
            gboolean (*fits)(const char *), const char *what,
            const char *values, GString *reason)
{
    g_auto(GStrv) words = g_strsplit_set(value, separators, -1);
    bool any = false;

    for (char **w = words; *w != NULL; w++) {
        if (**w != '\0' && !fits(*w)) {
            g_autofree char *shown = drover__shown(*w);

            g_string_printf(reason, "'%s' is not %s", shown, what);
            return false;
        }
        any = any || **w != '\0';
    }
    if (!any) {
        g_string_printf(reason, "Expected %s", values);
    }
    return any;
}

bool
drover__option_valid(const drover_option_t *option, const char *value,
                     GString *reason)
{
    g_autofree char *values = drover__option_values(option);
    gint64 number = 0;
    int limit = 0;

    if (value == NULL) {
        value = ""; /* an nvpair without a value (the schema allows it) */
    }
    switch (option->type) {
        case DROVER_OPTION_TEXT:
        case DROVER_OPTION_NETWORKS:
        case DROVER_OPTION_INCOMING: return true;
        case DROVER_OPTION_WORD:
            if (valid_word(option->words, value)) {
                return true;
            }
            break;
        case DROVER_OPTION_DAYS:
            if (g_ascii_string_to_signed(value, 10, 0, 3650, &number, NULL)) {
                return true;
            }
            break;
        case DROVER_OPTION_LIMIT:
            return drover_limit_parse(value, &limit, reason) == 0;
        case DROVER_OPTION_PATH:
            if (g_path_is_absolute(value)) {
                return true;
            }
            break;
        case DROVER_OPTION_PATHS:
            return words_valid(value, " \t", g_path_is_absolute,
                               "an absolute path", values, reason);
        case DROVER_OPTION_LDAP_URIS:
            return words_valid(value, " \t,", is_ldap_uri,
                               "an ldap:// or ldaps:// URI", values, reason);
        case DROVER_OPTION_NAME:
            if (drover__network_name_valid(value)) {
                return true;
            }
            break;
    }
    g_string_printf(reason, "Expected %s", values);
    return false;
}

const char *
drover__option_or_default(const char *name, const char *value)
{
    const drover_option_t *option = drover__option_find(name);
    g_autoptr(GString) ignored = g_string_new(NULL);

    g_assert(option != NULL);
    if (value != NULL && drover__option_valid(option, value, ignored)) {
        return value;
    }
    return option->default_value;
}

const char *
drover__option_default(const char *name)
{
    const drover_option_t *option = drover__option_find(name);

    g_assert(option != NULL);
    return option->default_value;
}

char *
drover__option_values(const drover_option_t *option)
{
    switch (option->type) {
        case DROVER_OPTION_WORD: {
            g_auto(GStrv) words = g_strsplit(option->words, " ", -1);
            guint n = g_strv_length(words);
            g_autofree char *head = NULL;

            if (n == 1) {
                return g_strdup(words[0]);
            }
            head = g_strjoinv(", ", (char **) words);
            /* "a, b, c" -> "a, b or c" */
            *strrchr(head, ',') = '\0';
            return g_strdup_printf("one of %s or %s", head, words[n - 1]);
        }
        case DROVER_OPTION_DAYS:
            return g_strdup("a whole number of days, 0 to 3650");
        case DROVER_OPTION_LIMIT:
            return g_strdup("a whole number, 0 for no limit");
        case DROVER_OPTION_PATH: return g_strdup("an absolute path");
        case DROVER_OPTION_PATHS:
            return g_strdup("absolute paths, blank-separated");
        case DROVER_OPTION_LDAP_URIS:
            return g_strdup(
                "ldap:// or ldaps:// URIs, blank- or comma-separated");
        case DROVER_OPTION_NETWORKS:
            return g_strdup("NAME=SUBNET[,SUBNET...], blank-separated");
        case DROVER_OPTION_INCOMING:
            return g_strdup("any, none, or network names and addresses");
        case DROVER_OPTION_NAME:
            return g_strdup("a name: 1-32 of a-z, 0-9, '-' and '_', starting "
                            "with a letter or digit");
        case DROVER_OPTION_TEXT: break;
    }
    return g_strdup("text");
}

const char *
drover__option_scope_name(drover_option_scope_t scope)
{
    switch (scope) {
        case DROVER_OPTION_CLUSTER:
        case DROVER_OPTION_NETWORK: return "cluster property";
        case DROVER_OPTION_NODE: return "node attribute";
        case DROVER_OPTION_DRAIN: return "node attribute, drover drain's";
        case DROVER_OPTION_STATUS: return "node status attribute, drover's";
    }
    return "?";
}
