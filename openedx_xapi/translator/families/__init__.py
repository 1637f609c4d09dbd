"""One module per Open edX event family; each registers its mappings on import."""
