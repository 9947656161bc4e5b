/* peer-ops.c — the parent's side of the peer benchmark's operations.
 *
 * Each side runs in a child of its own (peerChildSide), holding only its
 * own state; this process hands both the same steps, libvirt first, and
 * collects the times.  See peer.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peer.h"
#include "util.h"

#define PEER_OPS_ERROR (g_quark_from_static_string("bench-peer-ops"))

typedef struct {
    const char *name;
    pid_t pid;
    FILE *to;        /* its stdin */
    FILE *from;      /* its stdout */
} SideProc;

const char *const peer_side_names[PEER_SIDE_LAST] = { "libvirt", "virtsnap" };

static int
sideStart(SideProc *p, const char *name, const char *path, guint n)
{
    g_autofree char *count = g_strdup_printf("%u", n);
    const char *argv[] = { g_get_prgname(), "--child-side", name, path, count, NULL };
    int in[2], out[2];

    p->name = name;
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
        g_error("pipe: %s", g_strerror(errno));
    fflush(NULL);
    p->pid = fork();
    if (p->pid < 0)
        g_error("fork: %s", g_strerror(errno));
    if (p->pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        execv("/proc/self/exe", (char **) argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    p->to = fdopen(in[1], "w");
    p->from = fdopen(out[0], "r");
    return 0;
}

static void
sideStop(SideProc *p)
{
    int status;

    if (p->to)
        fclose(p->to);
    if (p->from)
        fclose(p->from);
    if (p->pid > 0) {
        while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    p->to = p->from = NULL;
    p->pid = 0;
}

/* Reads the side's answer up to "ok"/"ready", handing timed lines to @fn. */
static int
sideAnswer(SideProc *p, PeerSampleFunc fn, gpointer data, GError **error)
{
    g_autofree char *line = NULL;
    size_t cap = 0;

    while (getline(&line, &cap, p->from) > 0) {
        char op[32], side[16];
        double t, faults = -1;

        g_strchomp(line);
        if (g_str_equal(line, "ok") || g_str_equal(line, "ready"))
            return 0;
        if (g_str_has_prefix(line, "error ")) {
            g_set_error(error, PEER_OPS_ERROR, 1, "%s", line + strlen("error "));
            return -1;
        }
        if (sscanf(line, "op %31s %15s %lf %lf", op, side, &t, &faults) >= 3)
            fn(op, side, t, faults, data);
    }
    g_set_error(error, PEER_OPS_ERROR, 1, "the %s side stopped without an answer", p->name);
    return -1;
}

static int
sideStep(SideProc *p, const char *step, guint k, const char *arg, PeerSampleFunc fn,
         gpointer data, GError **error)
{
    fprintf(p->to, "%s %u%s%s\n", step, k, arg ? " " : "", arg ? arg : "");
    fflush(p->to);
    return sideAnswer(p, fn, data, error);
}

/* The machine's floor under any durable commit, measured beside them:
 * write a file the size of virtsnap's, fdatasync, rename over the old one,
 * fsync the directory.  Deliberately not the library's atomic file: this
 * times the machine, not virtsnap. */
static int
atomicReplace(const char *dir, const char *data, gsize len, GError **error)
{
    g_autofree char *tmp = g_build_filename(dir, "replace.tmp", NULL);
    g_autofree char *dst = g_build_filename(dir, "replace.dat", NULL);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int dirfd = -1, ret = -1;

    if (fd < 0)
        goto cleanup;
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto cleanup;
        data += n;
        len -= n;
    }
    if (fdatasync(fd) < 0)
        goto cleanup;
    close(fd);
    fd = -1;
    if (rename(tmp, dst) < 0 ||
        (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        fsync(dirfd) < 0)
        goto cleanup;
    ret = 0;
 cleanup:
    if (ret < 0)
        g_set_error(error, PEER_OPS_ERROR, 1, "%s: atomic replace: %s", tmp, g_strerror(errno));
    if (fd >= 0)
        close(fd);
    if (dirfd >= 0)
        close(dirfd);
    return ret;
}

static int
compareTreeFiles(const char *const *text, const gsize *len, const PeerOpsArgs *a,
                 gboolean with_xml, char **tree, GError **error)
{
    guint count = 0;

    for (gsize off = 0; off < len[0] || off < len[1]; count++) {
        const char *lv = off < len[0] ? text[0] + off : "(nothing)";
        const char *vs = off < len[1] ? text[1] + off : "(nothing)";
        if (strcmp(lv, vs) != 0) {
            g_set_error(error, PEER_OPS_ERROR, 1,
                        "the trees differ at entry %u:\n--- libvirt:\n%s\n--- virtsnap:\n%s",
                        count + 1, lv, vs);
            return -1;
        }
        off += strlen(lv) + 1;
    }
    if (count != a->n) {
        g_set_error(error, PEER_OPS_ERROR, 1, "both sides hold %u snapshots, not %u", count,
                    a->n);
        return -1;
    }
    if (tree)
        *tree = g_strdup_printf("same %u%s", count, with_xml ? ", with every XML" : "");
    return 0;
}

/* Both sides write their tree (sorted entries, NUL-terminated); they must
 * be byte for byte the same. */
static int
compareTrees(SideProc *sides, const PeerOpsArgs *a, gboolean with_xml, char **tree,
             PeerSampleFunc fn, gpointer data, GError **error)
{
    char *text[PEER_SIDE_LAST] = { NULL };
    gsize len[PEER_SIDE_LAST] = { 0 };
    int ret = 0;

    for (guint i = 0; i < PEER_SIDE_LAST && ret == 0; i++) {
        g_autofree char *path = g_strdup_printf("%s/tree-%s", a->scratch, peer_side_names[i]);
        if (sideStep(&sides[i], "describe", with_xml, path, fn, data, error) < 0 ||
            !g_file_get_contents(path, &text[i], &len[i], error))
            ret = -1;
    }
    if (ret == 0)
        ret = compareTreeFiles((const char *const *) text, len, a, with_xml, tree, error);
    for (guint i = 0; i < PEER_SIDE_LAST; i++)
        g_free(text[i]);
    return ret;
}

/* One round: every step to libvirt, then to virtsnap; the replace between. */
static int
runRound(SideProc *sides, const PeerOpsArgs *a, guint k, const char *replace_data,
         PeerSampleFunc fn, gpointer data, GError **error)
{
    static const char *const steps[] = {
        "redefine", "delete-leaf", "create", "create-undo", "set-current", "current-undo",
        "replace", "list", "chain", "delete-chain",
    };
    g_autofree char *chain = g_strdup_printf("%u", a->chain);

    for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
        const char *arg = g_str_equal(steps[i], "chain") ? chain : NULL;

        if (g_str_equal(steps[i], "replace")) {
            double t0 = benchNow();
            if (atomicReplace(a->scratch, replace_data, a->replace_size, error) < 0)
                return -1;
            fn("replace", "machine", benchNow() - t0, -1, data);
            continue;
        }
        for (guint side = 0; side < PEER_SIDE_LAST; side++) {
            if (sideStep(&sides[side], steps[i], k, arg, fn, data, error) < 0)
                return -1;
        }
    }
    return 0;
}

int
peerRunOps(const PeerOpsArgs *a, PeerSampleFunc fn, gpointer data, char **tree,
           GError **error)
{
    SideProc sides[PEER_SIDE_LAST] = { { 0 } };
    g_autofree char *replace_data = g_malloc(MAX(a->replace_size, 1));
    int ret = -1;

    for (guint64 i = 0; i < a->replace_size; i++)
        replace_data[i] = (char) (i * 2654435761u >> 24);
    /* A side that dies is reported by its missing answer, not by SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    sideStart(&sides[PEER_SIDE_LIBVIRT], peer_side_names[PEER_SIDE_LIBVIRT], a->root, a->n);
    sideStart(&sides[PEER_SIDE_VIRTSNAP], peer_side_names[PEER_SIDE_VIRTSNAP], a->store, a->n);
    for (guint side = 0; side < PEER_SIDE_LAST; side++) {
        if (sideAnswer(&sides[side], fn, data, error) < 0)
            goto cleanup;
    }
    if (compareTrees(sides, a, FALSE, NULL, fn, data, error) < 0)
        goto cleanup;
    for (guint k = 0; k < a->repeat; k++) {
        if (runRound(sides, a, k, replace_data, fn, data, error) < 0)
            goto cleanup;
        g_printerr("virtsnap-bench-peer: N=%u: round %u of %u done\n", a->n, k + 1, a->repeat);
    }
    if (compareTrees(sides, a, a->check_xml, tree, fn, data, error) < 0)
        goto cleanup;
    ret = 0;

 cleanup:
    for (guint side = 0; side < PEER_SIDE_LAST; side++)
        sideStop(&sides[side]);
    return ret;
}
