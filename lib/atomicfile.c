/* atomicfile.c — placeholder until implemented. */
