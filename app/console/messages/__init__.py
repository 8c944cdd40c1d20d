"""Message catalogues of the console, one module per area (`SV` and `EN` dicts)."""
