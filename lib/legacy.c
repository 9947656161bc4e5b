/* legacy.c — placeholder until implemented. */
