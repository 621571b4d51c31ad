from selfassess.launch import main

main()
