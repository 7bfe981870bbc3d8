/* The one table of error messages behind enum parley_err (libuv's UV_ERRNO_MAP). */
#include "common/common.h"

const char *parley_strerror(int err)
{
    switch (err) {
    case PARLEY_OK:
        return "ok";
#define XX(name, code, msg)                                                                        \
    case PARLEY_##name:                                                                            \
        return msg;
        PARLEY_ERRNO_MAP(XX)
#undef XX
    }
    return "unknown error";
}
