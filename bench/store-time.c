/* store-time.c — times a load and one commit of one VM in any store (a
 * directory or a postgresql:// database), through the public API only:
 * the rows bench/pg-bench.sh prints beside each other.  Prints
 * "load_ms commit_ms" (medians of --repeat runs); each commit redefines a
 * new snapshot under the current one and the next run deletes it again
 * (both timed as commits). */
#include <stdio.h>
#include <string.h>
#include <virtsnap/virtsnap.h>

static double
nowMs(void)
{
    return g_get_monotonic_time() / 1000.0;
}

static int
cmpDouble(gconstpointer a, gconstpointer b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double
median(GArray *v)
{
    g_array_sort(v, cmpDouble);
    return g_array_index(v, double, v->len / 2);
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsStore) store = NULL;
    g_autoptr(GArray) loads = g_array_new(FALSE, FALSE, sizeof(double));
    g_autoptr(GArray) commits = g_array_new(FALSE, FALSE, sizeof(double));
    int repeat = argc > 3 ? atoi(argv[3]) : 5;

    if (argc < 3) {
        g_printerr("usage: virtsnap-bench-store-time LOCATION VM [REPEAT]\n");
        return 2;
    }
    if (vsStoreOpen(&store, argv[1], 0, &error) < 0)
        goto fail;
    for (int i = 0; i < repeat; i++) {
        g_autoptr(vsDomain) dom = NULL;
        const vsMoment *cur;
        double t0 = nowMs(), t1;
        int ret;

        if (vsStoreLoadDomain(&dom, store, argv[2], NULL, VS_DOMAIN_LOAD_WRITE, &error) < 0)
            goto fail;
        t1 = nowMs();
        g_array_append_val(loads, (double) { t1 - t0 });
        if (vsDomainLookup(dom, "bench-extra", NULL)) {
            ret = vsDomainDelete(dom, "bench-extra", 0, &error);
        } else {
            g_autofree char *xml = NULL;
            cur = vsDomainGetCurrent(dom, NULL);
            xml = g_strdup_printf("<domainsnapshot><name>bench-extra</name>"
                                  "<state>shutoff</state>%s%s%s"
                                  "<creationTime>2000000000</creationTime>"
                                  "<domain type='kvm'><name>%s</name></domain>"
                                  "</domainsnapshot>", cur ? "<parent><name>" : "",
                                  cur ? vsMomentGetName(cur) : "", cur ? "</name></parent>" : "",
                                  argv[2]);
            t1 = nowMs();
            ret = vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                    VS_SNAPSHOT_CREATE_REDEFINE, &error);
        }
        if (ret < 0)
            goto fail;
        g_array_append_val(commits, (double) { nowMs() - t1 });
    }
    printf("%.1f %.1f\n", median(loads), median(commits));
    return 0;

 fail:
    g_printerr("virtsnap-bench-store-time: %s\n", error->message);
    return 1;
}
