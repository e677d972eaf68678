"""How Conch looks, Qt-free: the colour palettes of the light and dark themes, the Pygments
styles of code, and highlighting into styled spans (shared by the views and the exports)."""
