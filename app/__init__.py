"""The Conch application: CLI, main window, tabs and kernel sessions."""
