# Kernel settings for book builds (IPYTHONDIR points here): tracebacks of a failing
# cell without ANSI colour codes, so build logs and error reports stay readable.
c = get_config()  # noqa: F821
c.InteractiveShell.colors = "nocolor"
c.HistoryManager.enabled = False
