// glibc's allocator: its settings (mallopt) for ztp-server, see Sources/ztp-server/MemoryTuning.swift;
// its figures (mallinfo2) on /metrics, see Sources/ZTPManagement/Metrics/ProcessMetrics.swift.
#include <malloc.h>
