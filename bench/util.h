/* util.h — what the benchmark programs share (bench only).
 *
 * Clocks, medians, peak RSS, scratch-tree removal, re-running this same
 * program in a hidden child mode, and the virtsnap load child that both
 * virtsnap-bench and virtsnap-bench-peer time.  Uses only the public API. */
#pragma once

#include <glib.h>

#include "gen-core.h"

#define BENCH_KIB 1024.0
#define BENCH_MIB (1024.0 * 1024.0)

/* CLOCK_MONOTONIC, in seconds. */
double benchNow(void);

/* This process image's peak RSS in KiB (VmHWM), 0 if unknown.  Not
 * ru_maxrss from wait4: Linux carries the pre-exec high-water mark across
 * execve, so for a small child it reports the forking parent's RSS. */
long benchPeakRssKiB(void);

/* Median of @n values (sorts @v in place); 0 for n == 0. */
double benchMedian(double *v, guint n);

/* Removes @path and everything below it (no symlinks followed). */
void benchRmTree(const char *path);

/* "123", "12.3" or "1.23" milliseconds for @s seconds. */
char *benchFormatMs(double s);

typedef struct {
    char *out;        /* the child's stdout */
    long maxrss_kib;  /* ru_maxrss (see benchPeakRssKiB for its limits) */
    int status;       /* as from waitpid */
} BenchChild;

void benchChildClear(BenchChild *child);

/* Runs @program (argv[0] = prgname) with @args (NULL-terminated) and
 * collects its stdout.  0 if it exited with 0. */
int benchRunProgram(BenchChild *child, const char *program, const char *const *args);

/* benchRunProgram of this same program (/proc/self/exe). */
int benchRunChild(BenchChild *child, const char *const *args);

/* benchGenerate in a forked child, so the generator's memory never
 * inflates this process (or later forks of it); errors on stderr.
 * 0 on success. */
int benchGenerateInChild(const BenchGenOptions *opts);

/* Child mode of both runners: opens the store @dir and loads @vm
 * read-only; prints "load SECONDS COUNT PEAK_KIB" or "error MESSAGE".
 * Returns the exit status. */
int benchChildLoad(const char *dir, const char *vm);
