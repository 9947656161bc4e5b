/* virtsnap.c — entry point (placeholder until the CLI lands). */
#include <stdio.h>
#include <virtsnap/virtsnap.h>

int
main(int argc, char **argv)
{
    printf("virtsnap %s\n", VS_VERSION_STRING);
    return 0;
}
