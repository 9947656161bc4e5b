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

/* Child: one side's operations ("libvirt" on the root @path, "virtsnap"
 * on the store @path), in a process of its own, one step per line on
 * stdin: "STEP K [ARG]" (K: the round).  Timed steps: redefine (a new
 * leaf below s<N/2>), delete-leaf (that leaf), create (a new current child
 * of s<N-1>), set-current (s<N/2>), list, delete-chain (the round's chain
 * with --children); untimed: create-undo, current-undo (s<N-1>), chain
 * ARG (make the round's chain of ARG snapshots below s00000), describe
 * PATH (K = 1: with every XML) writes the tree for comparison, evict (by
 * hand only: the caches emptied before the next step).  Prints
 * "ready", then per step "op NAME SIDE SECONDS" lines and "ok" or
 * "error MESSAGE" (and stops).  Returns the exit status. */
int peerChildSide(const char *side, const char *path, guint n);

/* The parent's side of the operations (peer-ops.c). */
enum { PEER_SIDE_LIBVIRT, PEER_SIDE_VIRTSNAP, PEER_SIDE_LAST };
extern const char *const peer_side_names[PEER_SIDE_LAST];

typedef struct {
    const char *root;         /* libvirt's embedded root, set up */
    const char *store;        /* virtsnap store with the same records */
    guint n;
    guint repeat;             /* rounds */
    guint chain;              /* length of the chain deleted with --children */
    const char *scratch;      /* directory for the machine's atomic replace */
    guint64 replace_size;     /* bytes: the size of virtsnap's file */
    gboolean check_xml;       /* also compare every snapshot's XML at the end */
} PeerOpsArgs;

/* Called with every timed operation: side "libvirt", "virtsnap" or
 * "machine" (op "replace"); @faults: the page faults the side's process
 * took during the call (-1: not counted). */
typedef void (*PeerSampleFunc)(const char *op, const char *side, double seconds, double faults,
                               gpointer data);

/* Starts both sides' children, checks they hold the same tree, runs
 * @repeat rounds of every step, libvirt then virtsnap step by step, with
 * the machine's atomic replace among them, and compares the trees again.
 * @tree: (out): "same N" (", with every XML").  Every round leaves both
 * trees as they were, so each pair of samples sees the same N. */
int peerRunOps(const PeerOpsArgs *args, PeerSampleFunc fn, gpointer data, char **tree,
               GError **error);
