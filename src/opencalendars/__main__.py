from opencalendars.cli import main

main()
