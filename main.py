"""Neural Lens: ``python main.py`` opens the window; ``python main.py COMMAND ...`` runs headless."""
import sys

from guiapp.app import main

if __name__ == "__main__":
    sys.exit(main())
