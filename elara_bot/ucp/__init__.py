"""The Universal Commerce Protocol edge (REST binding of version 2026-04-08): discovery profile, checkout
sessions, orders and their webhooks, over the same domain services as the chat and the REST API."""
