/*
 * What a node runs: its libvirt and QEMU releases, as NodeHealth
 * publishes them for the others (private attribute drover-platform,
 * "libvirt=11.3.0 qemu=10.0.0"), and the rules that follow from them: a
 * VM never moves to an older QEMU, and a migration asks QEMU only for
 * what its release has.
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
} drover_platform_t;

/*!
 * \brief This node's libvirt and QEMU, from the libvirtd at \p uri
 *
 * \return 0, DROVER_RC_TIMEOUT, or another error with \p error (free it)
 *         saying libvirt's words
 */
int drover_platform_local(const char *uri, drover_deadline_t deadline,
                          drover_platform_t *platform, char **error);

/* "libvirt=11.3.0 qemu=10.0.0" and back.  Parsing ignores words it does
 * not know (a newer NodeHealth may say more) and leaves a version that is
 * not major.minor.micro unknown (0); it returns DROVER_RC_PROTOCOL when it
 * found neither version. */
char *drover_platform_format(const drover_platform_t *platform);
int drover_platform_parse(const char *text, drover_platform_t *platform);

/* "10.0.0" (free it); "unknown" for 0 */
char *drover_version_str(unsigned long version);

/*!
 * \brief Whether a VM may move from \p source to \p target
 *
 * A VM never moves to a QEMU of an older release (major.minor) than the
 * one it runs on: the machine type, device state and CPU model it was
 * started with may be newer than the target knows.  Unknown versions
 * (a node without NodeHealth, or one that cannot ask libvirt) refuse
 * nothing.
 *
 * \return NULL, or why not, naming both nodes and their versions (free it)
 */
char *drover_platform_refuses(const char *source_node,
                              const drover_platform_t *source,
                              const char *target_node,
                              const drover_platform_t *target);

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
