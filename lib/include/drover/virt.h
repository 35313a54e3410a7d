/*
 * Everything drover does with libvirt.  Every call that can block is
 * bounded by a deadline (the VM agent's issue builds on this).
 */
#ifndef DROVER_VIRT__H
#define DROVER_VIRT__H

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <drover/autoptr.h>

/*!
 * \brief Initialize libvirt and route its errors into our log
 *
 * Without this, libvirt prints every error on stderr itself, where an
 * agent's stderr is the operation's record.
 */
int drover_virt_init(void);

#endif /* DROVER_VIRT__H */
