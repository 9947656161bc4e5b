/* xmlsubtree.c — placeholder until implemented. */
