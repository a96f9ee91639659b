// Everything is in the header (static inline wrappers); this file makes the target a C target.
#include "CReelCurl.h"
