"""The product catalog: import/export, lookups and hybrid search (see docs/contracts.md, "Catalog")."""
