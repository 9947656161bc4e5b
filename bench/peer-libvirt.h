/* peer-libvirt.h — libvirt's side of the peer benchmark (bench only).
 *
 * libvirt's qemu driver runs in this process (qemu:///embed?root=DIR), so
 * an operation costs what the driver does (parse, file writes) with no RPC
 * in between.  Metadata only: a defined, inactive domain whose snapshots
 * are redefined, listed and deleted; no VM is ever started. */
#pragma once

#include <glib.h>

typedef struct _PeerLibvirt PeerLibvirt;

/* Opens the embedded driver on @root (created by the driver if needed;
 * an absolute path) and, when @vm is non-NULL, looks the domain up.  The
 * driver loads every domain and snapshot under @root while opening. */
int peerLibvirtOpen(PeerLibvirt **out, const char *root, const char *vm, GError **error);
void peerLibvirtFree(PeerLibvirt *lv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PeerLibvirt, peerLibvirtFree)

/* "9.0.0": the libvirt library this program runs with. */
char *peerLibvirtVersion(void);

/* Defines @domain_xml persistently (inactive) and keeps its handle. */
int peerLibvirtDefine(PeerLibvirt *lv, const char *domain_xml, GError **error);

/* virDomainSnapshotCreateXML with REDEFINE (| CURRENT). */
int peerLibvirtRedefine(PeerLibvirt *lv, const char *xml, gboolean current, GError **error);

/* @name's XML as libvirt dumps it (SECURE: passwords kept). */
int peerLibvirtGetXML(char **out, PeerLibvirt *lv, const char *name, GError **error);

/* virDomainSnapshotDelete(METADATA_ONLY, | CHILDREN). */
int peerLibvirtDelete(PeerLibvirt *lv, const char *name, gboolean children, GError **error);

/* virDomainListAllSnapshots, reading every handle's name (what any
 * listing starts with). */
int peerLibvirtListAll(guint *count, PeerLibvirt *lv, GError **error);

/* virDomainSnapshotNum. */
int peerLibvirtCount(guint *count, PeerLibvirt *lv, GError **error);

/* One line per snapshot, in libvirt's order: "NAME PARENT" ("-" for a root), " *"
 * appended for the current one; with @with_xml the snapshot's XML dump
 * follows on the next lines.  For comparing both sides' trees. */
int peerLibvirtDescribe(GPtrArray **lines, PeerLibvirt *lv, gboolean with_xml, GError **error);
