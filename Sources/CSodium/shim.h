#ifndef ZTP_CSODIUM_SHIM_H
#define ZTP_CSODIUM_SHIM_H
#include <sodium.h>
#endif
