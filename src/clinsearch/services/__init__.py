"""The services: what users ask of clinsearch, as each role may see it (docs/architecture.md)."""
