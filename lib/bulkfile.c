/* bulkfile.c — placeholder until implemented. */
