"""Icons and style sheets, read with importlib.resources."""
