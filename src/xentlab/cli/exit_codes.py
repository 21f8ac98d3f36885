"""The exit codes of ``xentlab``: only the command line knows them (the library raises)."""

EXIT_OK = 0
EXIT_BAD_INPUT = 2  # with one line on stderr that names the input, in the words the user typed
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM
