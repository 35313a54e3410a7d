/*
 * What a node runs: its libvirt and QEMU releases and the machine types
 * its QEMU has, as NodeHealth publishes them for the others (private
 * attribute drover-platform, "libvirt=11.3.0 qemu=10.0.0 arch=x86_64
 * machines=pc-i440fx-10.0,pc,..."), and the rules that follow from them:
 * a VM never moves to an older QEMU nor to one without its machine type,
 * and a migration asks QEMU only for what its release has.
 */
#ifndef DROVER_PLATFORM__H
#define DROVER_PLATFORM__H

#include <stdbool.h>

#include <glib.h>

#include <drover/deadline.h>
#include <drover/migopts.h>

#define DROVER_PLATFORM_ATTR "drover-platform"

/* Versions as libvirt gives them: major * 1000000 + minor * 1000 + micro */
typedef struct {
    unsigned long libvirt; /* 0: unknown */
    unsigned long qemu;    /* 0: unknown */
    char *arch;            /* the host's ("x86_64"); NULL: unknown */
    GStrv machines;        /* QEMU's machine types for arch, aliases
                              too ("pc"); NULL: unknown */
} drover_platform_t;

/* Free what \p platform holds and make it unknown */
void drover_platform_clear(drover_platform_t *platform);

/* At most this many machine types are published or read */
#define DROVER_PLATFORM_MAX_MACHINES 512

/*!
 * \brief This node's libvirt and QEMU, from the libvirtd at \p uri, and
 *        with \p machine_types its QEMU's machine types too (libvirt's
 *        capabilities: only NodeHealth, which publishes them, asks)
 *
 * \return 0, DROVER_RC_TIMEOUT, or another error with \p error (free it)
 *         saying libvirt's words
 */
int drover_platform_local(const char *uri, drover_deadline_t deadline,
                          bool machine_types, drover_platform_t *platform,
                          char **error);

/* "libvirt=11.3.0 qemu=10.0.0 arch=x86_64 machines=pc,q35,..." and back
 * (arch and machines only when known).  Parsing ignores words it does
 * not know (a newer NodeHealth may say more), leaves a version that is
 * not major.minor.micro unknown (0), and the machine types unknown when
 * one is not a plain name (letters, digits, '.', '_', '-') or there are
 * more than DROVER_PLATFORM_MAX_MACHINES; it returns DROVER_RC_PROTOCOL
 * when it found neither version.  Clear \p platform after either. */
char *drover_platform_format(const drover_platform_t *platform);
int drover_platform_parse(const char *text, drover_platform_t *platform);

/*!
 * \brief The host's architecture and its QEMU's machine types, from
 *        libvirt's capabilities XML (virConnectGetCapabilities())
 *
 * \return 0, or DROVER_RC_PROTOCOL (\p platform's arch and machines
 *         unknown) when \p xml does not say them
 */
int drover_platform_read_capabilities(const char *xml,
                                      drover_platform_t *platform);

/* "10.0.0" (free it); "unknown" for 0 */
char *drover_version_str(unsigned long version);

/*!
 * \brief Whether a VM may move from \p source to \p target
 *
 * A VM never moves to a QEMU of an older release (major.minor) than the
 * one it runs on: the machine type, device state and CPU model it was
 * started with may be newer than the target knows.  Nor does it move to
 * a QEMU without the machine type it runs with, \p machine for \p arch:
 * QEMU drops old machine types (10.0 has no pc-i440fx-2.3, which 7.2
 * has).  Unknown versions or machine types (a node without NodeHealth,
 * or one that cannot ask libvirt; \p arch or \p machine NULL; another
 * architecture than the target's) refuse nothing.
 *
 * \return NULL, or why not, beginning with the target's name and naming
 *         the versions: "n2 runs QEMU 7.2.0 (libvirt 9.0.0), older than
 *         n1's ...", "n3 runs QEMU 10.0.0, which has no machine type
 *         pc-i440fx-2.3" (free it)
 */
char *drover_platform_refuses(const char *source_node,
                              const drover_platform_t *source,
                              const char *target_node,
                              const drover_platform_t *target, const char *arch,
                              const char *machine);

/*!
 * \brief Whether the libvirt at \p uri (the target's) can provide the
 *        CPU of the domain of \p domain_xml (its live XML), by libvirt's
 *        own comparison with what that host's hypervisor offers
 *        (virConnectCompareHypervisorCPU()): Debian 13's QEMU 10 under
 *        TCG has no pcommit, which 7.2's has
 *
 * A CPU libvirt does not compare (host-passthrough, none said), a libvirt
 * that does not answer by \p deadline or cannot compare refuses nothing:
 * \p unknown (when not NULL) then says why (free it).
 *
 * \return NULL, or why not: "n1 cannot provide its CPU (Host CPU does not
 *         provide required features: pcommit)" (free it)
 */
char *drover_platform_cpu_refuses(const char *uri, const char *target_node,
                                  const char *domain_xml,
                                  drover_deadline_t deadline, char **unknown);

/* A migration's wishes that a QEMU release may not grant */
typedef struct {
    const char *const *compression; /* NULL-terminated, or NULL */
    bool postcopy;                  /* post-copy enabled */
    bool parallel;                  /* parallel connections */
} drover_migration_wish_t;

/* What a QEMU release lacks of a wish (drover_platform_lacks()) */
#define DROVER_LACKS_MT                (1u << 0)
#define DROVER_LACKS_POSTCOPY_PARALLEL (1u << 1)

/*!
 * \brief What of \p wish the QEMU \p qemu on \p node lacks: the
 *        compression method mt (gone since QEMU 9.1), post-copy together
 *        with parallel connections (QEMU refuses the pair before 10.1)
 *
 * \param[out] lacks  appended to: one sentence per wish, naming the
 *                    option, the node and the version
 *
 * \return DROVER_LACKS_* of what it lacks (0 with \p qemu unknown)
 */
unsigned int drover_platform_lacks(unsigned long qemu, const char *node,
                                   const drover_migration_wish_t *wish,
                                   GString *lacks);

/*!
 * \brief Whether the node \p node lacks a typed parameter of
 *        migrate_options: libvirt older than the first release with it,
 *        or an mt compression parameter on QEMU 9.1 or later
 * \param[out] lacks  appended to when it does: one sentence naming the
 *                    option, the node and the version
 * \return false with the versions unknown
 */
bool drover_platform_lacks_param(const drover_platform_t *platform,
                                 const char *node,
                                 const drover_migparam_t *param,
                                 GString *lacks);

#endif /* DROVER_PLATFORM__H */
