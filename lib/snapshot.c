/* snapshot.c — placeholder until implemented. */
