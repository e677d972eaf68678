"""Kernel messaging: transports, the Qt-free client, local kernel launching."""
