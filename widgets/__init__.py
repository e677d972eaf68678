"""Conch views: console widget, transcript view, input editor."""
