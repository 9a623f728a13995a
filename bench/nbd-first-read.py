# The first 4 KiB read of a cold export: finds the data extents (base:allocation, which reads no block), then times
# one pread in the middle one, a block no read has fetched (an export fetches its first data block when it starts).
# Prints {"offset": N, "ms": T}. Run with the Python python3-libnbd is installed for.
import json, sys, time
import nbd

h = nbd.NBD()
h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
h.connect_uri(sys.argv[1])
size = h.get_size()
found = []

def extents(meta, offset, entries, err):
    pos = offset
    for i in range(0, len(entries), 2):
        if not (entries[i + 1] & nbd.STATE_HOLE):
            found.append(pos)
        pos += entries[i]
    return 0

at = 0
while at < size:
    length = min(size - at, 1 << 30)
    h.block_status(length, at, extents)
    at += length
offset = found[len(found) // 2] if found else 0
started = time.perf_counter()
h.pread(4096, offset)
ms = (time.perf_counter() - started) * 1000
h.shutdown()
print(json.dumps({"offset": offset, "ms": round(ms, 2)}))
