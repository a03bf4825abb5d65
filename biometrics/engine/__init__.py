"""NIST NBIS through libfprint, in a process of its own (`worker`), driven by `client`.

libfprint extracts minutiae with NBIS mindtct and compares with bozorth3; it takes images only
through a device, so the worker owns libfprint's `virtual_image` device and feeds it the
images over its Unix socket. The worker is a child process of each Django or Celery process
that matches (started at first use, restarted after a failure or a timeout), so a crash in C
code never takes a web worker down and a web request waits at most one comparison's timeout.
"""
