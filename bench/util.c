/* util.c — what the benchmark programs share; see util.h. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "virtsnap/virtsnap.h"
#include "util.h"

double
benchNow(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

long
benchPeakRssKiB(void)
{
    g_autofree char *status = NULL;
    const char *hwm;

    if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL) ||
        !(hwm = strstr(status, "\nVmHWM:")))
        return 0;
    return atol(hwm + strlen("\nVmHWM:"));
}

static int
compareDoubles(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

double
benchMedian(double *v, guint n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(double), compareDoubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
rmEntry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path) < 0 ? -1 : 0;
}

void
benchRmTree(const char *path)
{
    nftw(path, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
}

char *
benchFormatMs(double s)
{
    double ms = s * 1000;
    if (ms >= 100)
        return g_strdup_printf("%.0f", ms);
    if (ms >= 10)
        return g_strdup_printf("%.1f", ms);
    return g_strdup_printf("%.2f", ms);
}

void
benchChildClear(BenchChild *child)
{
    g_clear_pointer(&child->out, g_free);
}

int
benchRunChild(BenchChild *child, const char *const *args)
{
    return benchRunProgram(child, "/proc/self/exe", args);
}

int
benchRunProgram(BenchChild *child, const char *program, const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    GString *out = g_string_new(NULL);
    struct rusage ru = { 0 };
    int fds[2];
    pid_t pid;
    char buf[4096];
    ssize_t n;

    g_ptr_array_add(argv, (char *) (g_get_prgname() ? g_get_prgname() : "bench"));
    for (guint i = 0; args[i]; i++)
        g_ptr_array_add(argv, (char *) args[i]);
    g_ptr_array_add(argv, NULL);

    if (pipe2(fds, O_CLOEXEC) < 0)
        g_error("pipe: %s", g_strerror(errno));
    fflush(NULL);
    pid = fork();
    if (pid < 0)
        g_error("fork: %s", g_strerror(errno));
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        execv(program, (char **) argv->pdata);
        _exit(127);
    }
    close(fds[1]);
    while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        g_string_append_len(out, buf, n);
    }
    close(fds[0]);
    while (wait4(pid, &child->status, 0, &ru) < 0 && errno == EINTR)
        ;
    child->maxrss_kib = ru.ru_maxrss;
    child->out = g_string_free(out, FALSE);
    return (WIFEXITED(child->status) && WEXITSTATUS(child->status) == 0) ? 0 : -1;
}

int
benchGenerateInChild(const BenchGenOptions *opts)
{
    pid_t pid;
    int status;

    fflush(NULL);
    pid = fork();
    if (pid < 0)
        g_error("fork: %s", g_strerror(errno));
    if (pid == 0) {
        g_autoptr(GError) error = NULL;
        if (benchGenerate(opts, &error) < 0) {
            g_printerr("%s: %s: %s\n", g_get_prgname(), opts->out, error->message);
            _exit(1);
        }
        _exit(0);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int
benchChildLoad(const char *dir, const char *vm)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    double t0 = benchNow();

    if (vsStoreOpen(&store, dir, 0, &error) < 0 ||
        vsStoreLoadDomain(&dom, store, vm, NULL, 0, &error) < 0) {
        printf("error %s\n", error->message);
        return 1;
    }
    printf("load %.6f %u %ld\n", benchNow() - t0, vsDomainCount(dom), benchPeakRssKiB());
    return 0;
}
