"""The dispatchers' side: the board, clusters, routing rules, service-level targets and likely duplicates."""
