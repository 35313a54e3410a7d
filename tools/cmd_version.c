/*
 * drover version (also drover --version)
 */
#include <stdio.h>

#include <crm_config.h> /* PACEMAKER_VERSION */
#include <libvirt/libvirt.h>

#include "cli.h"

static void
version_text(const xmlNode *result, GString *text)
{
    g_autofree char *drover = (char *) xmlGetProp(result, BAD_CAST "version");
    xmlNode *libs = xmlFirstElementChild((xmlNode *) result);

    g_string_append_printf(text, "drover %s\n", drover);
    for (xmlNode *lib = xmlFirstElementChild(libs); lib != NULL;
         lib = xmlNextElementSibling(lib)) {
        g_autofree char *name = (char *) xmlGetProp(lib, BAD_CAST "name");
        g_autofree char *version = (char *) xmlGetProp(lib, BAD_CAST "version");

        g_string_append_printf(text, "  %s %s\n", name, version);
    }
}

static void
add_library(xmlNode *libs, const char *name, const char *version)
{
    xmlNode *lib = drover_output_add(libs, "library");

    drover_output_set(lib, "name", name);
    drover_output_set(lib, "version", version);
}

crm_exit_t
cmd_version(cli_t *cli, int argc, char **argv)
{
    g_autoptr(drover_output_t) out = NULL;
    g_autofree char *libvirt = NULL;
    unsigned long lib_version = 0;
    xmlNode *libs = NULL;
    crm_exit_t rc = cli_parse(cli, "version", "",
                              "Show the versions of drover and the libraries "
                              "it uses.",
                              NULL, &argc, &argv);

    if (rc != CRM_EX_OK) {
        return rc;
    }
    if (argc > 1) {
        fprintf(stderr, "drover version: Unexpected argument '%s'\n", argv[1]);
        return CRM_EX_USAGE;
    }
    out = drover_output_new("version");
    libs = drover_output_add(drover_output_root(out), "libraries");
    add_library(libs, "pacemaker", PACEMAKER_VERSION);
    if (virGetVersion(&lib_version, NULL, NULL) == 0) {
        libvirt =
            g_strdup_printf("%lu.%lu.%lu", lib_version / 1000000,
                            (lib_version / 1000) % 1000, lib_version % 1000);
        add_library(libs, "libvirt", libvirt);
    }
    add_library(libs, "glib",
                G_STRINGIFY(GLIB_MAJOR_VERSION) "." G_STRINGIFY(
                    GLIB_MINOR_VERSION) "." G_STRINGIFY(GLIB_MICRO_VERSION));
    return cli_finish(cli, out, version_text);
}
