"""REFI-QDA exchange (QDPX projects and QDC codebooks): data model, export, import, safety."""
