"""Imported last by the worker pool's fork server, after the modules it preloads.

``gc.freeze()`` moves every object the imports made into a generation the
garbage collector never visits again. Each worker is forked from the fork
server and shares those objects' memory pages with it until it writes to
them; a collection in the worker would write to every object it visits
(its GC header), copying pages the worker never otherwise touches.
"""

import gc

gc.freeze()
