"""SSH: a master connection per host, prompts in the GUI, forwards and remote Jupyter."""
