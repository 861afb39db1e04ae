"""stpm-bot: a Slack FAQ bot for Senior Technical Program Managers.

numpy's BLAS is kept to one thread unless the environment says otherwise:
set here because it is read once, when numpy loads. Its threads, started
with numpy, spin for work after every call; the bot's products with a
question run on the calling thread anyway (`bot.search.semantic`), and on a
small machine the spinning took about 0.15 s of CPU from a 1.1 s `ask`.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
