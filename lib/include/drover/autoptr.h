/*
 * g_autoptr() support for the foreign types drover uses (libvirt's modern
 * style): g_autoptr(xmlDoc), g_autoptr(virConnect), g_autoptr(virDomain)...
 */
#ifndef DROVER_AUTOPTR__H
#define DROVER_AUTOPTR__H

#include <glib.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libvirt/libvirt.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlBuffer, xmlBufferFree)

static inline void
drover__virConnectClose(virConnect *conn)
{
    virConnectClose(conn);
}

static inline void
drover__virDomainFree(virDomain *dom)
{
    virDomainFree(dom);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virConnect, drover__virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, drover__virDomainFree)

#endif /* DROVER_AUTOPTR__H */
