/* stub, replaced below */
#include "lambda/lambda_internal.h"
int remote_pool_start(struct lambda_registry *reg, char *err, size_t errlen)
{
    return 0;
}
void remote_invoke(struct lambda_registry *reg, struct invocation *inv)
{
    invocation_set_error(inv, LAMBDA_SERVICE_ERROR, 500, "ServiceException", "not yet");
    invocation_finish(inv);
}
void remote_pool_stop(struct lambda_registry *reg)
{
}
