/* peer.h — virtsnap-bench-peer: virtsnap and libvirt side by side (bench only).
 *
 * The parent (peer.c) prepares one case per N and prints the table; each
 * measurement runs in a child of this same program (peer-child.c). */
#pragma once

#include <glib.h>

#include "gen-core.h"

#define PEER_VM "vm1"

/* The records both sides hold at N: bench/gen-core.c's chain of ~9 KB
 * snapshots, one in ten with a hot-plugged or unplugged device. */
void peerGenOptionsInit(BenchGenOptions *opts, guint n);

/* Child: defines the domain on libvirt's root @root and redefines the N
 * records, parents first, the last one current.  Prints
 * "setup SECONDS COUNT".  Returns the exit status. */
int peerChildSetup(const char *root, guint n);

/* Child: opens a new embedded connection on @root (the driver loads every
 * snapshot) and prints "load SECONDS COUNT PEAK_KIB". */
int peerChildLoadLibvirt(const char *root);

typedef struct {
    const char *root;         /* libvirt's embedded root, set up */
    const char *store;        /* virtsnap store with the same records */
    guint n;
    guint repeat;
    guint chain;              /* length of the chain deleted with --children */
    const char *scratch;      /* directory for the machine's atomic replace */
    guint64 replace_size;     /* bytes: the size of virtsnap's file */
    gboolean check_xml;       /* also compare every snapshot's XML at the end */
} PeerOpsArgs;

/* Child: runs every operation @repeat times on both sides, interleaved
 * (libvirt, then virtsnap, operation by operation), printing
 * "op NAME SIDE SECONDS" lines; checks before and after that both sides
 * hold the same tree ("tree WHEN same COUNT").  Returns the exit status. */
int peerChildOps(const PeerOpsArgs *args);
