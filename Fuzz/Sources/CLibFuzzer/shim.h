// libFuzzer's entry for programs that keep their own main (SwiftPM always links its own), see
// https://llvm.org/docs/LibFuzzer.html#using-libfuzzer-as-a-library. Defined by the runtime
// that `-sanitize=fuzzer` links; declared here only, so normal builds never reference it.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
