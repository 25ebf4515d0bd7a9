from xchange.cli import main

main()
