"""Saving a console's transcript as a Jupyter notebook or a self-contained HTML page (Qt-free)."""
