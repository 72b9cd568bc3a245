"""What spprov's commands do, as functions with explicit inputs and a value out (the shape of
pre-commit's ``commands/``): a command in ``spprov.cli.commands`` parses its options, calls
one of these, prints the value and returns an exit code."""
