/*
 * libvirt: set-up and error routing.
 */
#include <qb/qblog.h>

#include <drover/rc.h>
#include <drover/virt.h>

static void
log_virt_error(void *user_data, virErrorPtr err)
{
    (void) user_data;
    /* Callers report what matters with virGetLastErrorMessage() */
    qb_log(LOG_DEBUG, "libvirt: %s (code %d, domain %d)",
           (err->message != NULL) ? err->message : "unknown error", err->code,
           err->domain);
}

int
drover_virt_init(void)
{
    if (virInitialize() < 0) {
        return drover_rc_from_virt(NULL);
    }
    virSetErrorFunc(NULL, log_virt_error);
    return 0;
}
