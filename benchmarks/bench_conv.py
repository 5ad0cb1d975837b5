"""conv2d / max_pool2d benchmark (see tensorlite.bench.conv)."""

from tensorlite.bench.conv import main

main()
