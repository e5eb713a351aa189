"""Read-only merchant analytics over orders, carts, stock and the search log."""
