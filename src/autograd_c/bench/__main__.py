"""``python -m autograd_c.bench``: pin BLAS threads (re-executing once if numpy
is already loaded, which it is: ``autograd_c`` imports it), then run the CLI."""
import sys

from autograd_c.bench.threads import pin_threads_or_reexec

pin_threads_or_reexec(sys.argv[1:])

from autograd_c.bench.cli import main  # noqa: E402  (after the re-exec)

sys.exit(main())
