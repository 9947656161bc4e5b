/* cmd-xml.c — the `xml` command: parse one <domainsnapshot> document with
 * libvirt's rules and print its canonical form (or libvirt's error). */
#include <string.h>

#include "cli.h"

static const vsCliOptDef vsCliOptsXml[] = {
    { "file", VS_CLI_OT_STRING, VS_CLI_OF_REQUIRED,
      "snapshot XML file, or - for standard input" },
    { "redefine", VS_CLI_OT_BOOL, 0,
      "parse as a previously dumped definition (as snapshot-create --redefine)" },
    { "internal", VS_CLI_OT_BOOL, 0,
      "read <active> and print it back (libvirt's on-disk form)" },
    { "offline", VS_CLI_OT_BOOL, 0,
      "parse as for an inactive domain or a disk-only snapshot" },
    { "secure", VS_CLI_OT_BOOL, 0,
      "include security sensitive information (passwords) in the output" },
    { "validate", VS_CLI_OT_BOOL, 0,
      "validate the XML against the schema first" },
    { "uuid", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "domain UUID printed as <domain><uuid> when there is no <domain>" },
    { "now", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "creation time in seconds since the epoch (default: now)" },
    { 0 }
};

/* 32 hex digits, plain or in the canonical 8-4-4-4-12 form; anything
 * else would be printed into the XML as it is. */
static gboolean
vsCliUuidValid(const char *uuid)
{
    gsize len = strlen(uuid);

    if (len == 32) {
        for (gsize i = 0; i < len; i++) {
            if (!g_ascii_isxdigit(uuid[i]))
                return FALSE;
        }
        return TRUE;
    }
    return g_uuid_string_is_valid(uuid);
}

static int
vsCliCmdXml(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(vsSnapshot) snap = NULL;
    g_autofree char *buf = NULL;
    g_autofree char *out = NULL;
    const char *file = NULL;
    const char *uuid = NULL;
    const char *nowstr = NULL;
    unsigned int pflags = 0;
    unsigned int fflags = 0;
    gboolean is_current = FALSE;
    gint64 now;
    gsize len = 0;

    if (vsCliOptString(cli, cmd, "file", &file) < 0 ||
        vsCliOptString(cli, cmd, "uuid", &uuid) < 0 ||
        vsCliOptString(cli, cmd, "now", &nowstr) < 0)
        return -1;

    if (strcmp(file, "-") == 0 && cli->stdin_commands) {
        vsCliError(cli, "standard input holds the commands; give the document as a file");
        return -1;
    }
    if (uuid && !vsCliUuidValid(uuid)) {
        vsCliError(cli, "malformed uuid '%s'", uuid);
        return -1;
    }
    if (nowstr) {
        if (!g_ascii_string_to_signed(nowstr, 10, G_MININT64, G_MAXINT64,
                                      &now, NULL)) {
            vsCliError(cli, "Numeric value '%s' for <now> option is malformed or out of range",
                       nowstr);
            return -1;
        }
    } else if (cli->have_now) {
        now = cli->now;
    } else {
        now = g_get_real_time() / G_USEC_PER_SEC;
    }

    if (vsCliOptBool(cmd, "redefine"))
        pflags |= VS_SNAPSHOT_PARSE_REDEFINE;
    if (vsCliOptBool(cmd, "internal"))
        pflags |= VS_SNAPSHOT_PARSE_INTERNAL;
    if (vsCliOptBool(cmd, "offline"))
        pflags |= VS_SNAPSHOT_PARSE_OFFLINE;
    if (vsCliOptBool(cmd, "validate"))
        pflags |= VS_SNAPSHOT_PARSE_VALIDATE;

    /* One byte over the parser's limit lets it report TOO_LARGE itself. */
    if (vsCliReadFile(&buf, &len, file, (gsize)VS_SNAPSHOT_XML_MAX + 1, TRUE,
                      &err) < 0 ||
        vsSnapshotParse(&snap, buf, len, pflags, now, &is_current, &err) < 0) {
        vsCliError(cli, "%s: %s", file, err->message);
        return -1;
    }

    if (vsCliOptBool(cmd, "secure"))
        fflags |= VS_SNAPSHOT_FORMAT_SECURE;
    if (vsCliOptBool(cmd, "internal")) {
        fflags |= VS_SNAPSHOT_FORMAT_INTERNAL;
        if (is_current)
            fflags |= VS_SNAPSHOT_FORMAT_CURRENT;
    }
    if (vsSnapshotFormat(&out, snap, uuid, fflags, &err) < 0) {
        vsCliError(cli, "%s: %s", file, err->message);
        return -1;
    }
    vsCliPrint(cli, "%s", out);
    return 0;
}

static const vsCliCmdDef vsCliXmlCmds[] = {
    { "xml", "Parse a snapshot XML document and print its canonical form",
      "Parses one <domainsnapshot> document with libvirt's rules and prints\n"
      "    it exactly as libvirt would format it, or libvirt's error.",
      vsCliOptsXml, vsCliCmdXml },
    { 0 }
};

const vsCliGroup vsCliGroupXml = { "XML", "xml", vsCliXmlCmds };
