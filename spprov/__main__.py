import sys

from spprov.cli.main import main

sys.exit(main())
