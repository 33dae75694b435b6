"""``python -m gdcourse`` is the ``gdcourse`` command."""

from .cli import main

raise SystemExit(main())
