from spprov.cli import main

main()
