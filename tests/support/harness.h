/* harness.h — the private daemons of tests/support (see README.md there) from a GTest
 * program: each call runs libvirtd-harness.sh or pg-harness.sh and checks its result. */
#pragma once

#include <glib.h>

typedef enum {
    VS_TEST_LIBVIRTD,    /* URI: qemu:///session?socket=DIR/run/libvirt/libvirt-sock */
    VS_TEST_POSTGRESQL,  /* URI: postgresql:///virtsnap?host=DIR&port=5432&user=USER */
} vsTestDaemon;

/* A fresh empty directory for one daemon (g_free): short enough for a unix socket path,
 * reachable by the daemon's unprivileged user, and removed at exit after every daemon
 * started in it has been stopped. */
char *vsTestDaemonDir(void);

/* Starts @daemon in @dir — or starts it again after vsTestDaemonKill/Stop, keeping its state
 * on disk — and returns its URI (g_free).  Returns NULL and marks the test skipped when the
 * daemon is not installed; any other failure aborts the test with the harness's message.
 * Should the test process die without stopping it, the harness's watchdog does. */
char *vsTestDaemonStart(vsTestDaemon daemon, const char *dir);

/* Stops @daemon in @dir (SIGTERM or a fast shutdown, then SIGKILL); nothing is left
 * running.  A no-op when it does not run. */
void vsTestDaemonStop(vsTestDaemon daemon, const char *dir);

/* SIGKILLs @daemon in @dir (for PostgreSQL the whole server, at once): a crash. */
void vsTestDaemonKill(vsTestDaemon daemon, const char *dir);
