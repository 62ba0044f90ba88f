// Export macro of the Tether SDK. Symbols are hidden by default; only what is marked
// TETHER_EXPORT is part of the ABI.
#pragma once

#if defined(TETHER_BUILDING_SDK)
#  define TETHER_EXPORT __attribute__((visibility("default")))
#else
#  define TETHER_EXPORT
#endif
