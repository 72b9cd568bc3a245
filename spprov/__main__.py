from spprov.cli.main import main

main()
