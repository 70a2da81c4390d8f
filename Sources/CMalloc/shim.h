// glibc allocator settings (mallopt) for ztp-server: see Sources/ztp-server/MemoryTuning.swift.
#include <malloc.h>
