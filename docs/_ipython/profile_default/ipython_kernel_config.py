# Kernel settings for book builds (IPYTHONDIR points here): tracebacks of a failing
# cell without ANSI colour codes, so build logs and error reports stay readable.
c = get_config()  # noqa: F821
c.InteractiveShell.colors = "nocolor"
c.HistoryManager.enabled = False
# The kernel talks to the build over loopback TCP; its warning that the channel is not
# encrypted (printed once per chapter) is noise in build logs, so only errors are logged.
c.IPKernelApp.log_level = "ERROR"
