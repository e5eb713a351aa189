"""Store policies and FAQ as searchable passages (shipping, returns, payment...): import and hybrid search."""
