/*
 * What a domain's XML names that VirtualDomain acts on for the stock
 * agent's parameters: storage pools and libvirt networks to start
 * (start_resources), disk image files (a saved memory state older than
 * its disks is stale: snapshot), and the copy-on-write image of
 * backingfile.
 */
#ifndef DROVER_DOMXML__H
#define DROVER_DOMXML__H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

/* libvirt's own limit for a domain XML file (virsh define's) */
#define DROVER_DOMAIN_XML_MAX_BYTES (10 * 1024 * 1024)

typedef struct {
    GPtrArray *pools;    /* <disk><source pool='...'>, each once */
    GPtrArray *networks; /* <interface><source network='...'>, each once */
    GPtrArray *files;    /* <disk type='file'><source file='...'>, not
                            <readonly/>: what the guest writes */
} drover_domxml_refs_t;

/*!
 * \brief Read the pools, networks and disk files \p xml names
 *
 * \return 0, or DROVER_RC_CONFIG (with \p reason) when \p xml is not a
 *         domain
 */
int drover_domxml_refs(const char *xml, drover_domxml_refs_t *refs,
                       GString *reason);

void drover_domxml_refs_clear(drover_domxml_refs_t *refs);

/*!
 * \brief The architecture and machine type the domain of \p xml runs
 *        with (<os><type arch='x86_64' machine='pc-i440fx-7.2'>; a running
 *        domain's XML names the machine type itself, a config may name an
 *        alias such as "pc"), each NULL when not said (free them)
 */
void drover_domxml_machine(const char *xml, char **arch, char **machine);

/*!
 * \brief The domain's <cpu> element as libvirt compares it with a host's
 *        (mode custom, as a running domain's XML has it, or host-model),
 *        and the domain's type ("kvm", "qemu"); NULL for a CPU libvirt
 *        does not compare (host-passthrough, maximum: only an identical
 *        host runs it; check='none': the admin turned the comparison
 *        off) or none said (free them)
 */
void drover_domxml_cpu(const char *xml, char **cpu, char **virttype);

/*!
 * \brief Why the domain of \p xml cannot be live-migrated, from its XML
 *        alone, or NULL
 *
 * A host device passed through (<hostdev> of PCI, SCSI, SCSI host or a
 * mediated device; USB ones are re-attached by libvirt), an SR-IOV
 * virtual function as a NIC (<interface type='hostdev'>) unless it is the
 * transient half of a failover team (<teaming type='transient'
 * persistent='ALIAS'/> naming a virtio NIC of the domain: QEMU unplugs it
 * for the migration and the guest's team carries the traffic meanwhile).
 */
char *drover_domxml_blocker(const char *xml);

/*!
 * \brief The first of \p files that is on a file system only this host
 *        sees (ext4, xfs, btrfs, tmpfs, overlay, zfs, f2fs), as "PATH is
 *        on FSTYPE"; NULL when every one is shared (NFS, CIFS/SMB,
 *        GFS2, OCFS2, CephFS, FUSE, Lustre...) or cannot be told (another
 *        file system, missing here, or no answer by \p deadline)
 */
char *drover_domxml_local_file(const GPtrArray *files, gint64 deadline);

/*!
 * \brief The copy-on-write image the stock agent makes for backingfile:
 *        \p config's path up to its first '.', then ".qcow2"
 *        (/etc/vms/vm1.xml: /etc/vms/vm1.qcow2)
 */
char *drover_domxml_overlay_path(const char *config);

/*!
 * \brief An image's format from its first bytes: "qcow2" (QEMU's magic
 *        QFI\xfb) or "raw"; never probed further, as a raw image's
 *        content is the guest's
 */
const char *drover_domxml_image_format(const unsigned char *head, size_t len);

#endif /* DROVER_DOMXML__H */
