"""Qt-free transcript model: cells, outputs, ANSI-styled text, message routing."""
