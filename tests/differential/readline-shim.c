/* readline-shim.c — LD_PRELOAD'ed into virsh by the differential test.
 *
 * virsh reads its interactive commands through GNU readline even when
 * standard input is a pipe, and readline edits what it reads: TAB
 * completes, control characters move the cursor, long lines are
 * redrawn.  The test must hand virsh command lines byte for byte (a
 * snapshot named "tab<TAB>here" is a normal test input), so this
 * replaces readline() with a plain line read.  Everything after the
 * line is read — virsh's own command parser, the commands, the output —
 * is unchanged virsh.  Flushing before each read lets the test read a
 * command's output as soon as it is complete. */
#include <stdio.h>
#include <stdlib.h>

char *readline(const char *prompt);

char *
readline(const char *prompt)
{
    char *line = NULL;
    size_t size = 0;
    ssize_t len;

    (void)prompt;
    fflush(stdout);
    fflush(stderr);
    len = getline(&line, &size, stdin);
    if (len < 0) {
        free(line);
        return NULL;
    }
    if (len > 0 && line[len - 1] == '\n')
        line[len - 1] = '\0';
    return line;
}
