"""Web chat for shoppers: ``POST /api/v1/chat`` (JSON or server-sent events), its history, and the
embeddable ``widget.js`` that a store's page loads to talk to it."""
