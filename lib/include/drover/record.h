/*
 * What each migration did, for `drover status`: kept by the source node's
 * attribute manager as a private node attribute (never written to the CIB,
 * so recording it does not interrupt Pacemaker's transition).
 */
#ifndef DROVER_RECORD__H
#define DROVER_RECORD__H

#include <stdbool.h>

#include <glib.h>

#include <drover/deadline.h>

#define DROVER_RECORD_ATTR_PREFIX "drover-migration-"

typedef struct {
    gint64 at_ms; /* when it ended, milliseconds since the epoch: two
                     migrations of one VM can end within a second */
    char *source;
    char *target;
    char *mode;    /* "live", or "offline" (stopped here, started there) */
    char *network; /* NULL: no migration networks configured */
    char *uri;     /* the memory stream's, NULL: libvirt's default */
    char *skipped; /* "lm1: n3's link is down; ..." or NULL */
    bool ok;
    char *error; /* why it failed */
    gint64 duration_ms;
    guint64 bytes;
    int attempts; /* networks tried */
} drover_record_t;

/*!
 * \brief Set this node's private attribute \p name (attrd only, never the
 *        CIB: no transition is interrupted)
 */
int drover_private_attr_set(const char *name, const char *value,
                            drover_deadline_t deadline);

/*!
 * \brief Every node's value of private attribute \p name
 *
 * \param[out] values  node name -> value (free with g_hash_table_unref())
 *
 * \return 0, DROVER_RC_NO_SUCH when no node has it, or a result
 */
int drover_private_attr_read(const char *name, drover_deadline_t deadline,
                             GHashTable **values);

char *drover_record_format(const drover_record_t *record);
int drover_record_parse(const char *text, drover_record_t *record);
void drover_record_clear(drover_record_t *record);

/*!
 * \brief Keep \p record as resource \p rsc's last migration (on this node)
 */
int drover_record_publish(const char *rsc, const drover_record_t *record,
                          drover_deadline_t deadline);

/*!
 * \brief Resource \p rsc's last migration as any node recorded it
 *
 * \return 0, DROVER_RC_NO_SUCH when none is recorded, or a result
 */
int drover_record_read(const char *rsc, drover_deadline_t deadline,
                       drover_record_t *record);

#endif /* DROVER_RECORD__H */
