/* tree.c — placeholder until implemented. */
