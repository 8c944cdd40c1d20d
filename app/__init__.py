"""Privacy Rights API."""
