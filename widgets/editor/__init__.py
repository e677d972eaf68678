"""What the input editor can do beyond plain editing: Enter decisions, completion, help,
history, each a small controller the console attaches to its editor."""
