"""``python -m conch``: same as the ``conch`` command."""
from conch.app.cli import main

raise SystemExit(main())
