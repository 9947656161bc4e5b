/* input.c — what the CLI reads, always with a cap: a file a command
 * names, and the command stream on standard input, line by line. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int
vsCliReadFile(char **out, gsize *len, const char *path, gsize max,
              gboolean dash_is_stdin, GError **error)
{
    g_autoptr(GByteArray) buf = g_byte_array_new();
    gboolean is_stdin = dash_is_stdin && strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    int ret = -1;

    if (fd < 0) {
        int errsv = errno;
        g_set_error(error, VS_ERROR, errsv == ENOENT ? VS_ERROR_NOT_FOUND : VS_ERROR_IO,
                    "Failed to open file '%s': %s", path, g_strerror(errsv));
        return -1;
    }
    for (;;) {
        guint8 chunk[65536];
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0) {
            int errsv = errno;
            if (errsv == EINTR)
                continue;
            g_set_error(error, VS_ERROR, VS_ERROR_IO,
                        "Failed to read file '%s': %s", path, g_strerror(errsv));
            goto cleanup;
        }
        if (n == 0)
            break;
        if (buf->len + (gsize)n > max) {
            /* virsh's virFileReadAll reports EOVERFLOW past its limit. */
            g_set_error(error, VS_ERROR, VS_ERROR_TOO_LARGE,
                        "Failed to read file '%s': %s", path, g_strerror(EOVERFLOW));
            goto cleanup;
        }
        g_byte_array_append(buf, chunk, n);
    }
    *len = buf->len;
    g_byte_array_append(buf, (const guint8 *)"", 1);
    *out = (char *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
    ret = 0;

 cleanup:
    if (!is_stdin)
        close(fd);
    return ret;
}

gboolean
vsCliReadLine(vsCli *cli, vsCliInput *in, GString *line, gboolean *too_long)
{
    gsize skipped = 0;

    *too_long = FALSE;
    g_string_truncate(line, 0);
    for (;;) {
        char *nl = memchr(in->buf->str, '\n', in->buf->len);
        char chunk[65536];
        ssize_t n;

        if (nl) {
            gsize len = nl - in->buf->str;

            if (skipped + len > VS_CLI_MAX_LINE)
                *too_long = TRUE;
            else
                g_string_append_len(line, in->buf->str, len);
            g_string_erase(in->buf, 0, len + 1);
            return TRUE;
        }
        if (in->eof) {
            if (in->buf->len == 0 && skipped == 0)
                return FALSE;
            if (skipped + in->buf->len > VS_CLI_MAX_LINE)
                *too_long = TRUE;
            else
                g_string_append_len(line, in->buf->str, in->buf->len);
            g_string_truncate(in->buf, 0);
            return TRUE;
        }
        /* Keep memory bounded on an endless line. */
        if (in->buf->len > VS_CLI_MAX_LINE) {
            skipped += in->buf->len;
            g_string_truncate(in->buf, 0);
        }
        vsCliFlushDomains(cli);
        n = read(STDIN_FILENO, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            in->eof = TRUE;
        else
            g_string_append_len(in->buf, chunk, n);
    }
}
