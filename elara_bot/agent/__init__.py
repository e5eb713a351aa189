"""The shopping agent: tools, models (offline and OpenAI-compatible) and the graph."""
