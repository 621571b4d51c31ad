from selfassess.cli import main

main()
